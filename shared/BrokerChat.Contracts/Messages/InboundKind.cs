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
}
