namespace BrokerChat.Contracts.Events;

/// <summary>
/// Decides whether a client may connect to a hub, before the connector answers its upgrade. The connector calls it
/// with a timeout and refuses the client when it throws or times out (fail closed). It is one seam with two sides:
/// the application's functions in the connector's own process implement it directly, and a connector whose handler
/// is elsewhere (a functions process, a Web PubSub event handler) implements it with an HTTP call in the Web PubSub
/// CloudEvents format (<see cref="WebPubSubCloudEvents"/>).
/// </summary>
public interface IConnectEventHandler
{
    /// <summary>Whether <paramref name="hub"/> (lower-cased) has a <c>connect</c> handler; a hub without one admits by the token alone.</summary>
    bool Handles(string hub);

    /// <summary>Decides on one connection.</summary>
    ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken);
}
