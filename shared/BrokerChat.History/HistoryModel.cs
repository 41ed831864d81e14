using BrokerChat.Contracts.Messages;

namespace BrokerChat.History;

/// <summary>
/// A group message as the history function writes it: what the delivery carried, where it was read from the outbound
/// topic (<see cref="Epoch"/>, <see cref="Partition"/>, <see cref="Offset"/>), and who it was not for.
/// </summary>
/// <param name="Hub">The hub, lower-cased.</param>
/// <param name="Group">The group (the room).</param>
/// <param name="MessageId">The delivery's deterministic message id; a second write of it writes nothing.</param>
/// <param name="Epoch">The partition's epoch: it grows when the outbound topic was started afresh (a local run's embedded Kafka).</param>
/// <param name="Partition">The outbound partition.</param>
/// <param name="Offset">The outbound offset.</param>
/// <param name="FromUserId">The sender's user id, or null for a message from the application's backend.</param>
/// <param name="DataType">How the payload is to be read.</param>
/// <param name="Payload">The payload bytes.</param>
/// <param name="CreatedAt">When the functions accepted the message, Unix milliseconds.</param>
/// <param name="Excluded">Connection ids the message was not delivered to (noEcho, REST exclusions), or null.</param>
/// <param name="Filter">The OData filter the message's recipients had to pass, or null.</param>
public sealed record HistoryRecord(
    string Hub, string Group, string MessageId, int Epoch, int Partition, long Offset,
    string? FromUserId, DataType DataType, byte[] Payload, long CreatedAt, string[]? Excluded, string? Filter);

/// <summary>A message read back from the store.</summary>
/// <param name="Sequence">Its place in the store: grows with every message written, so it orders a room's messages and is a page cursor.</param>
/// <param name="Hub">The hub.</param>
/// <param name="Group">The group.</param>
/// <param name="MessageId">The message id.</param>
/// <param name="Partition">The outbound partition it was read from.</param>
/// <param name="Offset">The outbound offset.</param>
/// <param name="FromUserId">The sender, or null.</param>
/// <param name="DataType">How <see cref="Payload"/> is to be read.</param>
/// <param name="Payload">The current payload (an edit's), or null once deleted.</param>
/// <param name="CreatedAt">When it was sent, Unix milliseconds.</param>
/// <param name="EditedAt">When it was last edited, Unix milliseconds, or null.</param>
/// <param name="DeletedAt">When it was deleted, Unix milliseconds, or null: a tombstone.</param>
/// <param name="Excluded">Connection ids it was not for, or null.</param>
/// <param name="Filter">The recipients' filter, or null.</param>
public sealed record StoredMessage(
    long Sequence, string Hub, string Group, string MessageId, int Partition, long Offset, string? FromUserId,
    DataType DataType, byte[]? Payload, long CreatedAt, long? EditedAt, long? DeletedAt, string[]? Excluded, string? Filter)
{
    /// <summary>Whether the message was deleted (only its id, sender and time are left).</summary>
    public bool IsDeleted => DeletedAt is not null;

    /// <summary>The message as a delivery to its group, for the connectors' frame writers and recipient filters.</summary>
    public Delivery ToDelivery() => new()
    {
        Target = DeliveryTarget.Group,
        Hub = Hub,
        Group = Group,
        MessageId = MessageId,
        DataType = DataType,
        Payload = Payload ?? [],
        ProducedAt = CreatedAt,
        FromUserId = FromUserId,
        ExcludedConnectionIds = Excluded,
        Filter = Filter,
    };
}

/// <summary>Which way a page goes from its cursor.</summary>
public enum PageDirection
{
    /// <summary>Messages before the cursor (older), the latest of them; no cursor: the room's latest messages.</summary>
    Before,

    /// <summary>Messages after the cursor (newer), the earliest of them.</summary>
    After,
}

/// <summary>A page of a room's messages, oldest first.</summary>
/// <param name="Messages">The messages.</param>
/// <param name="Next">The cursor of the next page in the same direction, or null when there is none.</param>
public sealed record HistoryPage(IReadOnlyList<StoredMessage> Messages, long? Next);

/// <summary>How far the store holds a partition's messages, in its current epoch.</summary>
/// <param name="Partition">The outbound partition.</param>
/// <param name="Epoch">The current epoch.</param>
/// <param name="FirstOffset">The first offset the history function read in this epoch.</param>
/// <param name="NextOffset">Every message of the partition below this offset (and at or above <see cref="FirstOffset"/>) is written.</param>
public sealed record PartitionMark(int Partition, int Epoch, long FirstOffset, long NextOffset);

/// <summary>A room's messages from an outbound position on, for a resuming session.</summary>
/// <param name="Covered">
/// Whether the store holds every message of the room from the position up to <see cref="WrittenTo"/>: false when
/// retention deleted some, when the history function started after the position, or when there were more than asked for.
/// </param>
/// <param name="Messages">The messages, in offset order.</param>
/// <param name="WrittenTo">The store holds the partition's messages up to (not including) this offset.</param>
public sealed record RecoveryRead(bool Covered, IReadOnlyList<StoredMessage> Messages, long WrittenTo);

/// <summary>What became of an edit or a delete.</summary>
public enum HistoryChangeOutcome
{
    /// <summary>The store holds the change.</summary>
    Applied,

    /// <summary>No such message in the room (or it was deleted already).</summary>
    NotFound,

    /// <summary>The message was sent by someone else.</summary>
    Forbidden,
}
