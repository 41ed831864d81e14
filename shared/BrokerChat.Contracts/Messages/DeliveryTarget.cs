namespace BrokerChat.Contracts.Messages;

/// <summary>Who receives a <see cref="Delivery"/>. Values are only ever appended.</summary>
public enum DeliveryTarget
{
    /// <summary>Every member of <see cref="Delivery.Group"/> in <see cref="Delivery.Hub"/>.</summary>
    Group = 0,

    /// <summary>Every connection of <see cref="Delivery.UserId"/> in the hub.</summary>
    User = 1,

    /// <summary>The single connection <see cref="Delivery.ConnectionId"/>.</summary>
    Connection = 2,

    /// <summary>Every connection of the hub.</summary>
    All = 3,

    /// <summary>
    /// No client: a presence record (<see cref="Delivery.Presence"/>) every connector applies to its presence table.
    /// Such deliveries have <see cref="Delivery.HasMessage"/> false, so connectors that predate presence skip them.
    /// </summary>
    Presence = 4,
}
