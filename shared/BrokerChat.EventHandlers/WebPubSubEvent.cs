using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.EventHandlers;

/// <summary>The kinds of event a hub's event handler takes.</summary>
public enum WebPubSubEventKind
{
    /// <summary><c>connect</c>: asked before the upgrade is answered; the answer may refuse it or set the identity.</summary>
    Connect,

    /// <summary><c>connected</c>: the connection is open.</summary>
    Connected,

    /// <summary><c>disconnected</c>: the connection ended.</summary>
    Disconnected,

    /// <summary>A user event: a client's <c>event</c> or <c>invoke</c>, or a simple WebSocket client's frame (<c>message</c>).</summary>
    User,
}

/// <summary>
/// One event for a hub's event handler, as it is posted: the <c>ce-</c> attributes and the body. <see cref="Id"/> is
/// the same on every try of one event, so a handler can tell a retry from a new event.
/// </summary>
public sealed record WebPubSubEvent
{
    /// <summary>The kind of event.</summary>
    public required WebPubSubEventKind Kind { get; init; }

    /// <summary>The hub (lower-case).</summary>
    public required string Hub { get; init; }

    /// <summary>The client connection the event is about.</summary>
    public required string ConnectionId { get; init; }

    /// <summary><c>ce-id</c>: unique per event, the same on each try.</summary>
    public required string Id { get; init; }

    /// <summary><c>ce-time</c>: when the event happened.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The event's name: a user event's, or <c>connect</c>, <c>connected</c>, <c>disconnected</c>.</summary>
    public required string EventName { get; init; }

    /// <summary>The connection's user, or null when anonymous.</summary>
    public string? UserId { get; init; }

    /// <summary>The subprotocol the connection speaks, or null for a simple WebSocket client.</summary>
    public string? Subprotocol { get; init; }

    /// <summary>The connection's state as the handler last set it (<c>ce-connectionState</c>, opaque), or null.</summary>
    public string? ConnectionState { get; init; }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The body's media type.</summary>
    public required string ContentType { get; init; }

    /// <summary><c>ce-type</c>.</summary>
    public string Type => Kind switch
    {
        WebPubSubEventKind.Connect => WebPubSubCloudEvents.ConnectType,
        WebPubSubEventKind.Connected => WebPubSubCloudEvents.ConnectedType,
        WebPubSubEventKind.Disconnected => WebPubSubCloudEvents.DisconnectedType,
        _ => WebPubSubCloudEvents.UserTypePrefix + EventName,
    };

    /// <summary>The media type of a user event's body of <paramref name="dataType"/>, as Azure sends it.</summary>
    public static string ContentTypeOf(DataType dataType) => dataType switch
    {
        DataType.Json => EventHandlerMediaTypes.Json,
        DataType.Text => EventHandlerMediaTypes.Text,
        _ => EventHandlerMediaTypes.Binary,
    };

    /// <summary>A <c>connected</c> notification (body <c>{}</c>).</summary>
    public static WebPubSubEvent Connected(string hub, string connectionId, string id, DateTimeOffset time, string? userId, string? subprotocol, string? state) => new()
    {
        Kind = WebPubSubEventKind.Connected, Hub = hub, ConnectionId = connectionId, Id = id, Time = time,
        EventName = WebPubSubSystemEvents.Connected, UserId = userId, Subprotocol = subprotocol, ConnectionState = state,
        Body = "{}"u8.ToArray(), ContentType = EventHandlerMediaTypes.Json,
    };

    /// <summary>A <c>disconnected</c> notification (body <c>{"reason":…}</c>).</summary>
    public static WebPubSubEvent Disconnected(string hub, string connectionId, string id, DateTimeOffset time, string? userId, string? subprotocol, string? state, string? reason) => new()
    {
        Kind = WebPubSubEventKind.Disconnected, Hub = hub, ConnectionId = connectionId, Id = id, Time = time,
        EventName = WebPubSubSystemEvents.Disconnected, UserId = userId, Subprotocol = subprotocol, ConnectionState = state,
        Body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new DisconnectedBody(reason ?? ""), EventHandlerJson.Default.DisconnectedBody),
        ContentType = EventHandlerMediaTypes.Json,
    };

    /// <summary>A user event <paramref name="eventName"/> carrying <paramref name="payload"/> of <paramref name="dataType"/>.</summary>
    public static WebPubSubEvent User(string hub, string connectionId, string id, DateTimeOffset time, string eventName, string? userId, string? subprotocol, string? state, DataType dataType, ReadOnlyMemory<byte> payload) => new()
    {
        Kind = WebPubSubEventKind.User, Hub = hub, ConnectionId = connectionId, Id = id, Time = time,
        EventName = eventName, UserId = userId, Subprotocol = subprotocol, ConnectionState = state,
        Body = payload, ContentType = ContentTypeOf(dataType),
    };

    /// <summary>A <c>connect</c> request for <paramref name="connect"/> (body: claims, query, headers, subprotocols, client certificates).</summary>
    public static WebPubSubEvent ForConnect(ConnectEvent connect, string id, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(connect);
        return new()
        {
            Kind = WebPubSubEventKind.Connect, Hub = connect.Hub, ConnectionId = connect.ConnectionId, Id = id, Time = time,
            EventName = WebPubSubCloudEvents.ConnectEventName, UserId = connect.UserId,
            Body = ConnectEventJson.WriteRequest(connect), ContentType = EventHandlerMediaTypes.Json,
        };
    }
}

/// <summary>The <c>disconnected</c> event's body.</summary>
internal sealed record DisconnectedBody(string Reason);
