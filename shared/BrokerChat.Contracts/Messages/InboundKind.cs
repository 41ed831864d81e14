namespace BrokerChat.Contracts.Messages;

/// <summary>What a client asked for in an <see cref="InboundFrame"/>. Values are only ever appended.</summary>
public enum InboundKind
{
    /// <summary>A <c>sendToGroup</c> request: publish the payload to every member of <see cref="InboundFrame.Group"/>.</summary>
    SendToGroup = 0,

    /// <summary>An <c>event</c> request: a custom event for the application's functions.</summary>
    Event = 1,
}
