namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>type</c> field (<see cref="WebPubSubFields.Type"/>), which says what a message is: the requests
/// a client sends, and the messages a server sends. A server matches a request's type case-insensitively; a client
/// matches the server's exactly.
/// </summary>
public static class WebPubSubMessageTypes
{
    /// <summary>Client → server <c>joinGroup</c>: join <c>group</c> (BrokerChat adds <c>history</c> and <c>presence</c>).</summary>
    public const string JoinGroup = "joinGroup";

    /// <summary><see cref="JoinGroup"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> JoinGroupUtf8 => "joinGroup"u8;

    /// <summary>Client → server <c>leaveGroup</c>: leave <c>group</c>.</summary>
    public const string LeaveGroup = "leaveGroup";

    /// <summary><see cref="LeaveGroup"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> LeaveGroupUtf8 => "leaveGroup"u8;

    /// <summary>Client → server <c>sendToGroup</c>: send <c>data</c> of <c>dataType</c> to <c>group</c>, with or without <c>noEcho</c>.</summary>
    public const string SendToGroup = "sendToGroup";

    /// <summary><see cref="SendToGroup"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> SendToGroupUtf8 => "sendToGroup"u8;

    /// <summary>Client → server <c>event</c>: raise the custom event named by <c>event</c>, with <c>data</c>, to the server side.</summary>
    public const string Event = "event";

    /// <summary><see cref="Event"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EventUtf8 => "event"u8;

    /// <summary>Client → server <c>ping</c>: an application-level keep-alive, answered with <see cref="Pong"/>.</summary>
    public const string Ping = "ping";

    /// <summary><see cref="Ping"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> PingUtf8 => "ping"u8;

    /// <summary>Client → server <c>invoke</c>: a request with a response (<c>invokeEvent</c> in the JavaScript client), naming its <c>invocationId</c>, <c>target</c> and <c>event</c>; answered with <see cref="InvokeResponse"/>.</summary>
    public const string Invoke = "invoke";

    /// <summary><see cref="Invoke"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> InvokeUtf8 => "invoke"u8;

    /// <summary>Client → server <c>cancelInvocation</c>: the caller gave up on the invocation <c>invocationId</c>.</summary>
    public const string CancelInvocation = "cancelInvocation";

    /// <summary><see cref="CancelInvocation"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> CancelInvocationUtf8 => "cancelInvocation"u8;

    /// <summary>Client → server <c>sequenceAck</c> (reliable subprotocols): the client has every message up to <c>sequenceId</c>.</summary>
    public const string SequenceAck = "sequenceAck";

    /// <summary><see cref="SequenceAck"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> SequenceAckUtf8 => "sequenceAck"u8;

    /// <summary>
    /// Client → server <c>listMessages</c> (a BrokerChat extension): a page of <c>group</c>'s stored history, from the
    /// <c>before</c> or <c>after</c> cursor, up to <c>limit</c>, answered with a <see cref="WebPubSubSystemEvents.Messages"/>
    /// system message before the ack.
    /// </summary>
    public const string ListMessages = "listMessages";

    /// <summary><see cref="ListMessages"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ListMessagesUtf8 => "listMessages"u8;

    /// <summary>
    /// Client → server <c>editMessage</c> (a BrokerChat extension): replace the <c>data</c> (of <c>dataType</c>) of the
    /// stored message <c>messageId</c> of <c>group</c>; only its sender may. Announced to the group's members with a
    /// <see cref="WebPubSubSystemEvents.MessageChanged"/> system message.
    /// </summary>
    public const string EditMessage = "editMessage";

    /// <summary><see cref="EditMessage"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EditMessageUtf8 => "editMessage"u8;

    /// <summary>Client → server <c>deleteMessage</c> (a BrokerChat extension): delete the stored message <c>messageId</c> of <c>group</c>, as for <see cref="EditMessage"/>.</summary>
    public const string DeleteMessage = "deleteMessage";

    /// <summary><see cref="DeleteMessage"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DeleteMessageUtf8 => "deleteMessage"u8;

    /// <summary>Client → server <c>listMembers</c> (a BrokerChat extension): who is in <c>group</c>, answered with a <see cref="WebPubSubSystemEvents.Members"/> system message before the ack.</summary>
    public const string ListMembers = "listMembers";

    /// <summary><see cref="ListMembers"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ListMembersUtf8 => "listMembers"u8;

    /// <summary>Server → client <c>ack</c>: the outcome (<c>success</c>, <c>error</c>) of the request with <c>ackId</c>.</summary>
    public const string Ack = "ack";

    /// <summary><see cref="Ack"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> AckUtf8 => "ack"u8;

    /// <summary>Server → client <c>message</c>: <c>data</c> <c>from</c> a group or from the server side.</summary>
    public const string Message = "message";

    /// <summary><see cref="Message"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessageUtf8 => "message"u8;

    /// <summary>Server → client <c>system</c>: a system message, named by its <c>event</c> (<see cref="WebPubSubSystemEvents"/>).</summary>
    public const string System = "system";

    /// <summary><see cref="System"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> SystemUtf8 => "system"u8;

    /// <summary>Server → client <c>pong</c>: the answer to <see cref="Ping"/>.</summary>
    public const string Pong = "pong";

    /// <summary><see cref="Pong"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> PongUtf8 => "pong"u8;

    /// <summary>Server → client <c>invokeResponse</c>: the outcome of the invocation <c>invocationId</c>, with <c>success</c> and its data or <c>error</c>.</summary>
    public const string InvokeResponse = "invokeResponse";

    /// <summary><see cref="InvokeResponse"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> InvokeResponseUtf8 => "invokeResponse"u8;
}
