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
}
