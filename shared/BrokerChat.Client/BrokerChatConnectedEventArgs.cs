namespace BrokerChat.Client;

/// <summary>A fresh connection was established and its groups rejoined.</summary>
public sealed class BrokerChatConnectedEventArgs(string connectionId, string? userId) : EventArgs
{
    /// <summary>The connection id from the server's <c>connected</c> frame.</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>The user id from the server's <c>connected</c> frame (null for anonymous connections).</summary>
    public string? UserId { get; } = userId;
}
