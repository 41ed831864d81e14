using BrokerChat.Contracts.Events;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// The base of an application's hub: one class per hub (named by <see cref="HubAttribute"/>), whose methods run for
/// that hub's events. Override the connection events and the pre-publish hook you need; mark methods that handle user
/// events with <see cref="UserEventAttribute"/> and invocations with <see cref="InvocationAttribute"/>. A new instance
/// is made for every event, in a DI scope of its own (constructor injection works), so keep no state in fields.
/// </summary>
/// <remarks>
/// Validation and moderation run first: a handler only sees requests they accepted. What is not overridden costs
/// nothing: a hub without <see cref="OnConnectAsync"/> admits by the access token alone, and group messages skip a hub
/// without <see cref="OnPublishAsync"/>.
/// </remarks>
public abstract class BrokerChatHub
{
    /// <summary>
    /// Decides whether a client may connect, before its upgrade is answered (the connector waits at most
    /// <c>Connector:ConnectTimeout</c> and refuses the client when it is not told in time). Return <see cref="Accept"/>
    /// (optionally with a user id, groups, roles or a subprotocol) or <see cref="Refuse"/>.
    /// </summary>
    public virtual ValueTask<ConnectEventResult> OnConnectAsync(ConnectContext context) => ValueTask.FromResult(ConnectEventResult.Accept());

    /// <summary>Runs once a connection is open.</summary>
    public virtual ValueTask OnConnectedAsync(ConnectedContext context) => ValueTask.CompletedTask;

    /// <summary>Runs once a connection has ended.</summary>
    public virtual ValueTask OnDisconnectedAsync(DisconnectedContext context) => ValueTask.CompletedTask;

    /// <summary>Runs for each client group message before it is delivered: accept it, rewrite it, or reject it.</summary>
    public virtual ValueTask<PublishDecision> OnPublishAsync(PublishContext context) => ValueTask.FromResult(PublishDecision.Accept());

    /// <summary>Accepts a connection, optionally naming its user, adding groups and roles, and picking one of the offered subprotocols.</summary>
    protected static ConnectEventResult Accept(string? userId = null, IReadOnlyList<string>? groups = null, IReadOnlyList<string>? roles = null, string? subprotocol = null) =>
        new() { Accepted = true, UserId = userId, Groups = groups, Roles = roles, Subprotocol = subprotocol };

    /// <summary>Refuses a connection with <paramref name="status"/> (401 unauthorized by default) and a reason the client is told.</summary>
    protected static ConnectEventResult Refuse(string reason, int status = 401) => ConnectEventResult.Refuse(status, reason);
}
