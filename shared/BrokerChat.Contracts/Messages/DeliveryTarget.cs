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
}
