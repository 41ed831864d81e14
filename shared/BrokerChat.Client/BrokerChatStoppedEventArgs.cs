namespace BrokerChat.Client;

/// <summary>The client stopped: <see cref="BrokerChatClient.StopAsync"/> was called, or it gave up reconnecting.</summary>
public sealed class BrokerChatStoppedEventArgs : EventArgs
{
    internal static BrokerChatStoppedEventArgs Instance { get; } = new();
}
