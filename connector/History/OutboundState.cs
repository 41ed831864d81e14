using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;

namespace BrokerChat.Connector.History;

/// <summary>
/// Where this connector's reading of the outbound topic stands, shared by the delivery dispatcher and whatever must
/// see a consistent picture of it (registering reliable sessions, group changes, resuming sessions). Everything
/// here is read and changed under <see cref="Gate"/>, which the dispatcher holds while it fans out one record: so
/// under the gate no record is half-delivered, and the positions say exactly which records every local connection
/// has been given.
/// </summary>
internal sealed class OutboundState(RoomHistory history, TargetPositions positions)
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Held while a record is fanned out, and by whoever needs the positions to match the connections' streams.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The recent messages of every room.</summary>
    public RoomHistory History { get; } = history;

    /// <summary>The newest position of every target's sources, by which repeats are recognised.</summary>
    public TargetPositions Positions { get; } = positions;

    /// <summary>Partitions of the outbound topic (0 until the dispatcher started).</summary>
    public int PartitionCount { get; private set; }

    /// <summary>Per partition, the offset of the next record to fan out. Under <see cref="Gate"/>.</summary>
    public long[] Next { get; private set; } = [];

    /// <summary>Completes once the dispatcher holds its start positions.</summary>
    public Task Started => _started.Task;

    /// <summary>
    /// Called by the dispatcher with the offsets it starts reading from, and what it read back below them: the
    /// histories are complete from <paramref name="coveredFrom"/> (the start offsets when null) and hold
    /// <paramref name="warmed"/>, oldest first.
    /// </summary>
    public void Start(long[] startOffsets, long[]? coveredFrom = null, IReadOnlyList<WarmedMessage>? warmed = null)
    {
        lock (Gate)
        {
            PartitionCount = startOffsets.Length;
            Next = (long[])startOffsets.Clone();
            History.Start(coveredFrom ?? startOffsets);
            foreach (var message in warmed ?? [])
            {
                if (IsRepeat(message.Delivery))
                {
                    continue;
                }

                History.TryAdd(message.Delivery.Hub, message.Delivery.Group!, message.Partition, message.Offset, message.Delivery, message.Size, message.At);
            }
        }

        _started.TrySetResult();
    }

    /// <summary>
    /// Whether <paramref name="delivery"/> repeats one carried out already: its source is at or below the newest of
    /// that source for its target. A delivery without a source (or a presence record) is never a repeat by position.
    /// Otherwise its position becomes the source's newest. Under <see cref="Gate"/>.
    /// </summary>
    /// <remarks>
    /// The target is what the delivery is for and, for a group change (join, leave), the group: so one target's
    /// deliveries of one source are always on one outbound partition (<see cref="PartitionKeys.ForDelivery"/> keys
    /// anything about a group by the room, the rest by the record's key), where they keep their order.
    /// </remarks>
    public bool IsRepeat(Delivery delivery) =>
        delivery.Source is { } source && TargetName(delivery) is { } name
        && !Positions.TryAdvance(new PositionTarget(delivery.Hub, delivery.Target, name, GroupChanged(delivery)), source);

    /// <summary>The group a join or leave command is about, else null.</summary>
    private static string? GroupChanged(Delivery delivery) =>
        delivery.Command is DeliveryCommand.AddToGroup or DeliveryCommand.RemoveFromGroup ? delivery.Group ?? "" : null;

    /// <summary>What names a delivery's target within its kind and hub: the group, the user, the connection, or "" for the whole hub.</summary>
    private static string? TargetName(Delivery delivery) => delivery.Target switch
    {
        DeliveryTarget.Group => delivery.Group,
        DeliveryTarget.User => delivery.UserId,
        DeliveryTarget.Connection => delivery.ConnectionId,
        DeliveryTarget.All => "",
        _ => null,
    };

    /// <summary>The partition holding a room.</summary>
    public int PartitionOf(string hub, string group) => PartitionKeys.PartitionOf(PartitionKeys.Room(hub, group), PartitionCount);
}
