namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The field names of the Web PubSub client protocol's messages: the keys of the JSON objects of the JSON subprotocols,
/// and the str keys of the MessagePack maps of BrokerChat's MessagePack twins, which are named the same. Names are
/// matched exactly (case-sensitively); fields a reader does not know are ignored.
/// </summary>
public static class WebPubSubFields
{
    /// <summary><c>type</c>: what the message is (<see cref="WebPubSubMessageTypes"/>); in every message.</summary>
    public const string Type = "type";

    /// <summary><see cref="Type"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> TypeUtf8 => "type"u8;

    /// <summary><c>group</c>: the group a request is about, or the group a message, presence change or member list is of.</summary>
    public const string Group = "group";

    /// <summary><see cref="Group"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> GroupUtf8 => "group"u8;

    /// <summary><c>ackId</c>: the unsigned 64-bit id a client gives a request to be answered with an <c>ack</c> of the same id (and, for <c>listMembers</c>, a <c>members</c> message).</summary>
    public const string AckId = "ackId";

    /// <summary><see cref="AckId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> AckIdUtf8 => "ackId"u8;

    /// <summary><c>dataType</c>: how <see cref="Data"/> is to be read (<see cref="WebPubSubDataTypes"/>).</summary>
    public const string DataType = "dataType";

    /// <summary><see cref="DataType"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DataTypeUtf8 => "dataType"u8;

    /// <summary><c>data</c>: the payload of a <c>sendToGroup</c>, an <c>event</c> or a <c>message</c>.</summary>
    public const string Data = "data";

    /// <summary><see cref="Data"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DataUtf8 => "data"u8;

    /// <summary><c>noEcho</c>: on <c>sendToGroup</c>, true when the sender is not to get its own message.</summary>
    public const string NoEcho = "noEcho";

    /// <summary><see cref="NoEcho"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> NoEchoUtf8 => "noEcho"u8;

    /// <summary><c>event</c>: the custom event's name on an <c>event</c> request; which system message a <c>system</c> message is (<see cref="WebPubSubSystemEvents"/>).</summary>
    public const string Event = "event";

    /// <summary><see cref="Event"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EventUtf8 => "event"u8;

    /// <summary><c>sequenceId</c> (reliable subprotocols): a message's number in the session; on <c>sequenceAck</c>, the number up to which the client has every message.</summary>
    public const string SequenceId = "sequenceId";

    /// <summary><see cref="SequenceId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> SequenceIdUtf8 => "sequenceId"u8;

    /// <summary><c>success</c>: on an <c>ack</c>, whether the request was carried out.</summary>
    public const string Success = "success";

    /// <summary><see cref="Success"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> SuccessUtf8 => "success"u8;

    /// <summary><c>error</c>: on a failed <c>ack</c>, an object with the error's <see cref="Name"/> (<see cref="Messages.AckErrorNames"/>) and <see cref="Message"/>.</summary>
    public const string Error = "error";

    /// <summary><see cref="Error"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ErrorUtf8 => "error"u8;

    /// <summary><c>name</c>: inside an ack's <c>error</c>, the error's name (<see cref="Messages.AckErrorNames"/>).</summary>
    public const string Name = "name";

    /// <summary><see cref="Name"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> NameUtf8 => "name"u8;

    /// <summary><c>message</c>: the human-readable text of an ack's <c>error</c>, or the reason of a <c>disconnected</c> system message.</summary>
    public const string Message = "message";

    /// <summary><see cref="Message"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessageUtf8 => "message"u8;

    /// <summary><c>from</c>: on a <c>message</c>, where it comes from (<see cref="WebPubSubMessageSources"/>).</summary>
    public const string From = "from";

    /// <summary><see cref="From"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> FromUtf8 => "from"u8;

    /// <summary><c>fromUserId</c>: on a group message, the user id of its sender, when it has one.</summary>
    public const string FromUserId = "fromUserId";

    /// <summary><see cref="FromUserId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> FromUserIdUtf8 => "fromUserId"u8;

    /// <summary><c>connectionId</c>: the connection's id in <c>connected</c>; a member's in <c>presence</c> and in each entry of <c>members</c>.</summary>
    public const string ConnectionId = "connectionId";

    /// <summary><see cref="ConnectionId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ConnectionIdUtf8 => "connectionId"u8;

    /// <summary><c>userId</c>: the connection's user in <c>connected</c>; a member's in <c>presence</c> and in each entry of <c>members</c> (null when anonymous).</summary>
    public const string UserId = "userId";

    /// <summary><see cref="UserId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> UserIdUtf8 => "userId"u8;

    /// <summary><c>reconnectionToken</c> (reliable subprotocols): in <c>connected</c>, what a client presents (as <see cref="WebPubSubQueryParameters.ReconnectionToken"/>) to resume its session after a drop.</summary>
    public const string ReconnectionToken = "reconnectionToken";

    /// <summary><see cref="ReconnectionToken"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ReconnectionTokenUtf8 => "reconnectionToken"u8;

    /// <summary><c>history</c> (a BrokerChat extension): on <c>joinGroup</c>, how many of the group's latest messages to send before the ack; on a <c>message</c>, true when it is one of them.</summary>
    public const string History = "history";

    /// <summary><see cref="History"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> HistoryUtf8 => "history"u8;

    /// <summary><c>presence</c> (a BrokerChat extension): on <c>joinGroup</c>, true to be sent a <c>presence</c> system message whenever a member joins or leaves the group.</summary>
    public const string Presence = "presence";

    /// <summary><see cref="Presence"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> PresenceUtf8 => "presence"u8;

    /// <summary><c>action</c> (a BrokerChat extension): on a <c>presence</c> system message, whether the member joined or left (<see cref="WebPubSubPresenceActions"/>).</summary>
    public const string Action = "action";

    /// <summary><see cref="Action"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ActionUtf8 => "action"u8;

    /// <summary><c>complete</c> (a BrokerChat extension): on a <c>members</c> system message, false when a bound kept some members out of the list.</summary>
    public const string Complete = "complete";

    /// <summary><see cref="Complete"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> CompleteUtf8 => "complete"u8;

    /// <summary><c>members</c> (a BrokerChat extension): on a <c>members</c> system message, the group's members, each an object with <see cref="UserId"/> and <see cref="ConnectionId"/>.</summary>
    public const string Members = "members";

    /// <summary><see cref="Members"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MembersUtf8 => "members"u8;

    /// <summary><c>invocationId</c> of <c>invoke</c>, <c>cancelInvocation</c> and <c>invokeResponse</c>: the caller's id of one invocation.</summary>
    public const string InvocationId = "invocationId";

    /// <summary><see cref="InvocationId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> InvocationIdUtf8 => "invocationId"u8;

    /// <summary><c>target</c> of <c>invoke</c>: what is invoked (<c>event</c>, a user event by name).</summary>
    public const string Target = "target";

    /// <summary><see cref="Target"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> TargetUtf8 => "target"u8;

    /// <summary><c>before</c>: <c>listMessages</c>'s cursor: the page is of the messages before it (a BrokerChat extension).</summary>
    public const string Before = "before";

    /// <summary><see cref="Before"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> BeforeUtf8 => "before"u8;

    /// <summary><c>after</c>: <c>listMessages</c>'s cursor: the page is of the messages after it.</summary>
    public const string After = "after";

    /// <summary><see cref="After"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> AfterUtf8 => "after"u8;

    /// <summary><c>limit</c>: the most messages a <c>listMessages</c> page holds (capped by <c>History:MaxPageSize</c>).</summary>
    public const string Limit = "limit";

    /// <summary><see cref="Limit"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> LimitUtf8 => "limit"u8;

    /// <summary><c>messages</c>: the messages of a <c>messages</c> system message, oldest first.</summary>
    public const string Messages = "messages";

    /// <summary><see cref="Messages"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessagesUtf8 => "messages"u8;

    /// <summary><c>next</c>: the cursor of the next page in the same direction, or null when there is none.</summary>
    public const string Next = "next";

    /// <summary><see cref="Next"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> NextUtf8 => "next"u8;

    /// <summary><c>messageId</c>: a stored message's id.</summary>
    public const string MessageId = "messageId";

    /// <summary><see cref="MessageId"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessageIdUtf8 => "messageId"u8;

    /// <summary><c>timestamp</c>: when a stored message was sent (ISO 8601, UTC).</summary>
    public const string Timestamp = "timestamp";

    /// <summary><see cref="Timestamp"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> TimestampUtf8 => "timestamp"u8;

    /// <summary><c>editedAt</c>: when a stored message was last edited (ISO 8601, UTC); absent when never.</summary>
    public const string EditedAt = "editedAt";

    /// <summary><see cref="EditedAt"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EditedAtUtf8 => "editedAt"u8;

    /// <summary><c>deleted</c>: true for a deleted message's tombstone, which has no <c>data</c>.</summary>
    public const string Deleted = "deleted";

    /// <summary><see cref="Deleted"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DeletedUtf8 => "deleted"u8;

    /// <summary><c>change</c>: what became of a message in a <see cref="WebPubSubSystemEvents.MessageChanged"/> system message (<see cref="WebPubSubMessageChanges"/>).</summary>
    public const string Change = "change";

    /// <summary><see cref="Change"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ChangeUtf8 => "change"u8;
}
