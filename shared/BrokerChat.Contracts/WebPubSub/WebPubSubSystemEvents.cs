namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>event</c> field (<see cref="WebPubSubFields.Event"/>) of a <see cref="WebPubSubMessageTypes.System"/>
/// message: which system message it is.
/// </summary>
public static class WebPubSubSystemEvents
{
    /// <summary><c>connected</c>: the connection is open, with its <c>connectionId</c>, <c>userId</c> and, on the reliable subprotocols, <c>reconnectionToken</c>; a later one with the same connection id refreshes the token.</summary>
    public const string Connected = "connected";

    /// <summary><see cref="Connected"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ConnectedUtf8 => "connected"u8;

    /// <summary><c>disconnected</c>: the server is about to close the connection, for the reason in <c>message</c>.</summary>
    public const string Disconnected = "disconnected";

    /// <summary><see cref="Disconnected"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DisconnectedUtf8 => "disconnected"u8;

    /// <summary><c>presence</c> (a BrokerChat extension): a member (<c>userId</c>, <c>connectionId</c>) joined or left <c>group</c>, as its <c>action</c> says; sent to members that joined with <c>presence</c>.</summary>
    public const string Presence = "presence";

    /// <summary><see cref="Presence"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> PresenceUtf8 => "presence"u8;

    /// <summary><c>messages</c> (a BrokerChat extension): the answer to <see cref="WebPubSubMessageTypes.ListMessages"/>: the request's <c>ackId</c>, the <c>group</c>, its <c>messages</c> (oldest first) and the <c>next</c> cursor.</summary>
    public const string Messages = "messages";

    /// <summary><see cref="Messages"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessagesUtf8 => "messages"u8;

    /// <summary><c>members</c> (a BrokerChat extension): the answer to <see cref="WebPubSubMessageTypes.ListMembers"/>: the request's <c>ackId</c>, the <c>group</c>, its <c>members</c> and whether the list is <c>complete</c>.</summary>
    public const string Members = "members";

    /// <summary><see cref="Members"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MembersUtf8 => "members"u8;

    /// <summary>
    /// <c>messageChanged</c> (a BrokerChat extension): the message <c>messageId</c> of <c>group</c> was edited or deleted,
    /// as its <c>change</c> says (<see cref="WebPubSubMessageChanges"/>), by <c>fromUserId</c> (null: the application's
    /// backend); an edit carries the new <c>dataType</c> and <c>data</c>. Sent to the group's members.
    /// </summary>
    public const string MessageChanged = "messageChanged";

    /// <summary><see cref="MessageChanged"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> MessageChangedUtf8 => "messageChanged"u8;
}
