using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client.Protocol;

/// <summary>The kinds of server → client frames the client acts on; anything else is <see cref="Unknown"/> and ignored.</summary>
internal enum ServerFrameKind
{
    Unknown,
    Ack,
    Message,
    Connected,
    Disconnected,
    Pong,

    /// <summary>A <c>presence</c> system message: a member joined or left a group.</summary>
    Presence,

    /// <summary>A <c>members</c> system message: the answer to <c>listMembers</c>.</summary>
    Members,

    /// <summary>An <c>invokeResponse</c>: the outcome of the invocation <see cref="ServerFrame.InvocationId"/>.</summary>
    InvokeResponse,

    /// <summary>A <c>messages</c> system message: a page of stored history, the answer to <c>listMessages</c>.</summary>
    MessagePage,
    /// <summary>A <c>messageChanged</c> system message: a stored group message was edited or deleted.</summary>
    MessageChanged,
}

/// <summary>
/// One server → client frame, decoded from either wire format. Only the fields of its kind are set; a data message
/// whose <c>dataType</c> is missing or unknown has <see cref="DataType"/> null and is not delivered (an invokeResponse
/// without a known <c>dataType</c> carries no data).
/// </summary>
internal sealed class ServerFrame
{
    public ServerFrameKind Kind { get; set; }

    public ulong? AckId { get; set; }

    /// <summary>An invokeResponse's <c>invocationId</c>.</summary>
    public string? InvocationId { get; set; }

    public bool Success { get; set; }

    public string? ErrorName { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary><c>group</c> or <c>server</c> (the <c>from</c> field).</summary>
    public string? From { get; set; }

    public string? Group { get; set; }

    public string? FromUserId { get; set; }

    public WebPubSubDataType? DataType { get; set; }

    public ReadOnlyMemory<byte> Data { get; set; }

    public ulong? SequenceId { get; set; }

    public string? ConnectionId { get; set; }

    public string? UserId { get; set; }

    public string? ReconnectionToken { get; set; }

    /// <summary>The reason of a <c>disconnected</c> system frame.</summary>
    public string? Message { get; set; }

    /// <summary>A history message (sent for a join with history).</summary>
    public bool History { get; set; }

    /// <summary>A presence frame's <c>action</c>: <c>join</c> or <c>leave</c>.</summary>
    public string? Action { get; set; }

    /// <summary>A members frame's list.</summary>
    public List<BrokerChatMember>? Members { get; set; }

    /// <summary>A members frame's <c>complete</c>.</summary>
    public bool Complete { get; set; }

    /// <summary>A messages frame's stored messages, oldest first.</summary>
    public List<BrokerChatStoredMessage>? StoredMessages { get; set; }

    /// <summary>A messages frame's <c>next</c> cursor, or null.</summary>
    public string? Next { get; set; }

    /// <summary>A messageChanged frame's <c>messageId</c>.</summary>
    public string? MessageId { get; set; }

    /// <summary>A messageChanged frame's <c>change</c>: <c>edited</c> or <c>deleted</c>.</summary>
    public string? Change { get; set; }

    /// <summary>Whether a presence or members frame has what the client needs.</summary>
    public bool IsWellFormedSystem => Kind switch
    {
        ServerFrameKind.Presence => Group is not null && ConnectionId is not null && Action is WebPubSubPresenceActions.Join or WebPubSubPresenceActions.Leave,
        ServerFrameKind.Members => Group is not null && Members is not null,
        ServerFrameKind.MessagePage => Group is not null && StoredMessages is not null,
        ServerFrameKind.MessageChanged => Group is not null && MessageId is not null
            && (Change == WebPubSubMessageChanges.Deleted || (Change == WebPubSubMessageChanges.Edited && DataType is not null)),
        _ => true,
    };

    public static ServerFrameKind KindOf(string? type, string? systemEvent) => type switch
    {
        WebPubSubMessageTypes.Ack => ServerFrameKind.Ack,
        WebPubSubMessageTypes.Message => ServerFrameKind.Message,
        WebPubSubMessageTypes.Pong => ServerFrameKind.Pong,
        WebPubSubMessageTypes.InvokeResponse => ServerFrameKind.InvokeResponse,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.Connected => ServerFrameKind.Connected,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.Disconnected => ServerFrameKind.Disconnected,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.Presence => ServerFrameKind.Presence,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.Members => ServerFrameKind.Members,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.Messages => ServerFrameKind.MessagePage,
        WebPubSubMessageTypes.System when systemEvent == WebPubSubSystemEvents.MessageChanged => ServerFrameKind.MessageChanged,
        _ => ServerFrameKind.Unknown,
    };

    public static WebPubSubDataType? ParseDataType(string? value) => value switch
    {
        WebPubSubDataTypes.Json => WebPubSubDataType.Json,
        WebPubSubDataTypes.Text => WebPubSubDataType.Text,
        WebPubSubDataTypes.Binary => WebPubSubDataType.Binary,
        WebPubSubDataTypes.Protobuf => WebPubSubDataType.Protobuf,
        _ => null,
    };
}
