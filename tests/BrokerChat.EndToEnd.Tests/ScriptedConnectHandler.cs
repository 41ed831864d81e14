using System.Collections.Concurrent;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// A hub's <c>connect</c> handler as an application registers it, deciding by hub: <c>refusing</c> refuses with 401,
/// <c>hanging</c> never answers, <c>throwing</c> throws, <c>accepting</c> and <c>recorded</c> accept with another user
/// id, a group, a role and the reliable subprotocol, <c>badprotocol</c> picks a subprotocol the client did not offer.
/// Every other hub is not handled. It keeps every event it was given.
/// </summary>
internal sealed class ScriptedConnectHandler : IConnectEventHandler
{
    public const string Refusing = "refusing";
    public const string Hanging = "hanging";
    public const string Throwing = "throwing";
    public const string Accepting = "accepting";
    public const string Recorded = "recorded";
    public const string BadProtocol = "badprotocol";

    private static readonly HashSet<string> Hubs = [Refusing, Hanging, Throwing, Accepting, Recorded, BadProtocol];

    /// <summary>The events the handler was given, in order.</summary>
    public ConcurrentQueue<ConnectEvent> Calls { get; } = new();

    public bool Handles(string hub) => Hubs.Contains(hub);

    public async ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken)
    {
        Calls.Enqueue(connect);
        switch (connect.Hub)
        {
            case Refusing:
                return ConnectEventResult.Refuse(401, "Not on the list.");
            case Hanging:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return ConnectEventResult.Accept();
            case Throwing:
                throw new InvalidOperationException("The handler broke.");
            case BadProtocol:
                return new ConnectEventResult { Accepted = true, Subprotocol = "protobuf.webpubsub.azure.v1" };
            default:
                return new ConnectEventResult
                {
                    Accepted = true,
                    UserId = "handler-user",
                    Groups = ["vip"],
                    Roles = ["webpubsub.joinLeaveGroup.lobby"],
                    Subprotocol = connect.Subprotocols.Contains(WebPubSubSubprotocols.JsonReliable) ? WebPubSubSubprotocols.JsonReliable : null,
                };
        }
    }
}
