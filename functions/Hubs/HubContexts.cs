namespace BrokerChat.Functions.Hubs;

/// <summary>
/// What every handler is told: the hub, the connection and its user, the services of this invocation's own DI scope,
/// and the token that is cancelled when the host stops (or, for an invocation, when the caller cancels or its time is up).
/// </summary>
public abstract class HubContext
{
    private protected HubContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles)
    {
        Hub = hub;
        ConnectionId = connectionId;
        UserId = userId;
        Roles = roles;
    }

    /// <summary>The hub, lower-cased.</summary>
    public string Hub { get; }

    /// <summary>The client connection the event is about.</summary>
    public string ConnectionId { get; }

    /// <summary>The connection's user id, or null when anonymous.</summary>
    public string? UserId { get; }

    /// <summary>The roles the connection's access token granted.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The services of this invocation's DI scope.</summary>
    public IServiceProvider Services { get; internal set; } = EmptyServices.Instance;

    /// <summary>Cancelled when the handler should give up.</summary>
    public CancellationToken CancellationToken { get; internal set; }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>The <c>connect</c> event: a client asking to connect, before its upgrade is answered.</summary>
public sealed class ConnectContext : HubContext
{
    internal ConnectContext(Contracts.Events.ConnectEvent connect)
        : base(connect.Hub, connect.ConnectionId, connect.UserId, connect.Roles)
    {
        Event = connect;
    }

    /// <summary>The groups the access token joins at connect.</summary>
    public IReadOnlyList<string> Groups => Event.Groups;

    /// <summary>The subprotocols the client offered.</summary>
    public IReadOnlyList<string> Subprotocols => Event.Subprotocols;

    /// <summary>The access token's claims.</summary>
    public IReadOnlyDictionary<string, string[]> Claims => Event.Claims;

    /// <summary>The upgrade request's query parameters, less the access token.</summary>
    public IReadOnlyDictionary<string, string[]> Query => Event.Query;

    /// <summary>The upgrade request's headers, less <c>Authorization</c> and <c>Cookie</c>.</summary>
    public IReadOnlyDictionary<string, string[]> Headers => Event.Headers;

    internal Contracts.Events.ConnectEvent Event { get; }
}

/// <summary>An event that may act (<see cref="Actions"/>): everything after <c>connect</c>.</summary>
public abstract class HubEventContext : HubContext
{
    private protected HubEventContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions)
        : base(hub, connectionId, userId, roles)
    {
        Actions = actions;
    }

    /// <summary>What the handler does: sends, group changes, closes.</summary>
    public HubActions Actions { get; }
}

/// <summary>The <c>connected</c> event: the connection is open.</summary>
public sealed class ConnectedContext : HubEventContext
{
    internal ConnectedContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions, IReadOnlyList<string> groups, string? subprotocol)
        : base(hub, connectionId, userId, roles, actions)
    {
        Groups = groups;
        Subprotocol = subprotocol;
    }

    /// <summary>The groups the connection joined at connect.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The subprotocol it speaks, or null for a simple WebSocket client.</summary>
    public string? Subprotocol { get; }
}

/// <summary>The <c>disconnected</c> event: the connection has ended.</summary>
public sealed class DisconnectedContext : HubEventContext
{
    internal DisconnectedContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions, string? reason)
        : base(hub, connectionId, userId, roles, actions)
    {
        Reason = reason;
    }

    /// <summary>Why it ended, as the connector saw it (e.g. <c>client_close</c>, <c>abort</c>, <c>rest</c>).</summary>
    public string? Reason { get; }
}

/// <summary>A user event: an <c>event</c> message from a client (or any frame of a simple WebSocket client, as <c>message</c>).</summary>
public sealed class UserEventContext : HubEventContext
{
    internal UserEventContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions, string eventName, MessageData data)
        : base(hub, connectionId, userId, roles, actions)
    {
        EventName = eventName;
        Data = data;
    }

    /// <summary>The event's name.</summary>
    public string EventName { get; }

    /// <summary>What the client sent.</summary>
    public MessageData Data { get; }
}

/// <summary>An invocation: a client's request whose handler's return value is its answer (<c>invokeResponse</c>).</summary>
public sealed class InvocationContext : HubEventContext
{
    internal InvocationContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions, string eventName, string invocationId, MessageData data)
        : base(hub, connectionId, userId, roles, actions)
    {
        EventName = eventName;
        InvocationId = invocationId;
        Data = data;
    }

    /// <summary>The event invoked.</summary>
    public string EventName { get; }

    /// <summary>The client's invocation id.</summary>
    public string InvocationId { get; }

    /// <summary>What the client sent.</summary>
    public MessageData Data { get; }
}

/// <summary>A client's group message, before it is delivered (<see cref="BrokerChatHub.OnPublishAsync"/>).</summary>
public sealed class PublishContext : HubEventContext
{
    internal PublishContext(string hub, string connectionId, string? userId, IReadOnlyList<string> roles, HubActions actions, string group, MessageData data, bool noEcho)
        : base(hub, connectionId, userId, roles, actions)
    {
        Group = group;
        Data = data;
        NoEcho = noEcho;
    }

    /// <summary>The group the message is for.</summary>
    public string Group { get; }

    /// <summary>The message.</summary>
    public MessageData Data { get; }

    /// <summary>Whether the sender left itself out of the recipients.</summary>
    public bool NoEcho { get; }
}
