namespace BrokerChat.Contracts.Messages;

/// <summary>What a <see cref="DeliveryCommand.MessageChanged"/> did to a group message. Values are only ever appended.</summary>
public enum MessageChange
{
    /// <summary>No change: any delivery that is not a <see cref="DeliveryCommand.MessageChanged"/>.</summary>
    None = 0,

    /// <summary>The message's payload and data type were replaced.</summary>
    Edited = 1,

    /// <summary>The message was deleted; a tombstone stays in the store.</summary>
    Deleted = 2,
}
