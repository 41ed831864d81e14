namespace BrokerChat.Client;

/// <summary>A connection was lost for good: it could not be recovered (or the client is stopping).</summary>
public sealed class BrokerChatDisconnectedEventArgs(string? connectionId, string? message) : EventArgs
{
    /// <summary>The id of the lost connection, if the server had sent one.</summary>
    public string? ConnectionId { get; } = connectionId;

    /// <summary>The reason from the server's last <c>disconnected</c> frame on that connection, if any.</summary>
    public string? Message { get; } = message;
}
