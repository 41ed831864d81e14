namespace BrokerChat.Contracts.Messages;

/// <summary>What a client asked for in an <see cref="InboundFrame"/>. Values are only ever appended.</summary>
public enum InboundKind
{
    /// <summary>A <c>sendToGroup</c> request: publish the payload to every member of <see cref="InboundFrame.Group"/>.</summary>
    SendToGroup = 0,

    /// <summary>An <c>event</c> request: a custom event for the application's functions.</summary>
    Event = 1,

    /// <summary>
    /// A presence record from a connector, not from a client: a member joined or left a room, or a connector's
    /// snapshot of its members (<see cref="InboundFrame.Presence"/>). Applications reading the inbound topic skip it.
    /// </summary>
    Presence = 2,

    /// <summary>
    /// The REST API's <c>sendToAll</c>: the payload for every connection of the hub, less
    /// <see cref="InboundFrame.ExcludedConnectionIds"/> and those <see cref="InboundFrame.Filter"/> rejects. REST
    /// requests come from the application's backend (authenticated with an access key), not from a client, so they carry
    /// no roles and are not moderated.
    /// </summary>
    SendToAll = 3,

    /// <summary>The REST API's <c>sendToUser</c>: the payload for every connection of <see cref="InboundFrame.UserId"/>.</summary>
    SendToUser = 4,

    /// <summary>The REST API's <c>sendToConnection</c>: the payload for the connection <see cref="InboundFrame.ConnectionId"/>.</summary>
    SendToConnection = 5,

    /// <summary>The REST API's group <c>sendToAll</c>: the payload for every member of <see cref="InboundFrame.Group"/>.</summary>
    ServerSendToGroup = 6,

    /// <summary>
    /// The REST API adds the connections named by <see cref="InboundFrame.Target"/> (a connection, a user's connections,
    /// or every connection <see cref="InboundFrame.Filter"/> accepts) to <see cref="InboundFrame.Group"/>.
    /// </summary>
    AddToGroup = 7,

    /// <summary>The REST API removes connections from <see cref="InboundFrame.Group"/> (nil: from every group), as for <see cref="AddToGroup"/>.</summary>
    RemoveFromGroup = 8,

    /// <summary>
    /// The REST API closes the connections named by <see cref="InboundFrame.Target"/> (a connection, a user's, a group's
    /// or all), less <see cref="InboundFrame.ExcludedConnectionIds"/>, with <see cref="InboundFrame.Reason"/>.
    /// </summary>
    CloseConnections = 9,

    /// <summary>
    /// A connector opened a client connection: the connection, its user, roles and <see cref="InboundFrame.Groups"/>
    /// (the groups it joined at connect) and <see cref="InboundFrame.Subprotocol"/>. Keyed by the connection, so it
    /// comes before that connection's events. Not a request: nothing answers it.
    /// </summary>
    Connected = 10,

    /// <summary>A client connection ended, for <see cref="InboundFrame.Reason"/>; keyed by the connection, after its events.</summary>
    Disconnected = 11,

    /// <summary>
    /// A client's <c>invoke</c>: the event <see cref="InboundFrame.EventName"/> with its payload, answered with an
    /// <c>invokeResponse</c> to <see cref="InboundFrame.InvocationId"/> (a <see cref="DeliveryCommand.InvokeResponse"/>).
    /// </summary>
    Invoke = 12,

    /// <summary>
    /// A client's <c>cancelInvocation</c> of <see cref="InboundFrame.InvocationId"/>. Produced with the header
    /// <see cref="Topics.InboundHeaders.Control"/>, so a worker acts on it when it reads it rather than after the
    /// invocation it cancels.
    /// </summary>
    CancelInvocation = 13,

    /// <summary>
    /// A client's <c>editMessage</c>: replace the payload of the group message <see cref="InboundFrame.ChangedMessageId"/>
    /// of <see cref="InboundFrame.Group"/> with this record's payload and data type. Keyed by the room like a
    /// <see cref="SendToGroup"/>, so it comes after the message it changes. Only the message's sender may.
    /// </summary>
    EditMessage = 14,

    /// <summary>A client's <c>deleteMessage</c> of the group message <see cref="InboundFrame.ChangedMessageId"/>, as for <see cref="EditMessage"/>.</summary>
    DeleteMessage = 15,

    /// <summary>The REST API's edit of a group message, as <see cref="EditMessage"/> but from the application's backend, which may change any message.</summary>
    ServerEditMessage = 16,

    /// <summary>The REST API's delete of a group message, as <see cref="DeleteMessage"/> but from the application's backend.</summary>
    ServerDeleteMessage = 17,
}
