namespace BrokerChat.Client;

/// <summary>Where a <see cref="BrokerChatClient"/> is in its life.</summary>
public enum BrokerChatClientState
{
    /// <summary>Not started, or stopped: nothing is sent or received.</summary>
    Stopped,

    /// <summary>Opening the first connection (inside <see cref="BrokerChatClient.StartAsync"/>).</summary>
    Connecting,

    /// <summary>A socket is open; requests go out at once.</summary>
    Connected,

    /// <summary>The socket dropped and the client is resuming the same connection (reliable protocols only).</summary>
    Recovering,

    /// <summary>The connection is lost and the client is opening a fresh one.</summary>
    Reconnecting,

    /// <summary><see cref="BrokerChatClient.StopAsync"/> is closing the socket.</summary>
    Stopping,
}
