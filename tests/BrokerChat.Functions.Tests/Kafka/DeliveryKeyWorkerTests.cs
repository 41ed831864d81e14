using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using static BrokerChat.Functions.Tests.Kafka.TestRequests;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>Each delivery is produced keyed by what it is about, whatever the key of the record it was made from.</summary>
public sealed class DeliveryKeyWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task GroupMessageMadeFromAConnectionsEventIsProducedWithTheRoomsKeyOnTheRoomsPartition()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        const string connection = "conn-7";
        var connectionKey = PartitionKeys.Connection(Hub, connection);
        // A room on another partition than the connection's events, so the key decides where the message lands.
        var room = Enumerable.Range(0, 100).Select(i => $"room-{i}")
            .First(r => PartitionOf(r) != PartitionKeys.PartitionOf(connectionKey, WorkerKafka.Partitions));
        var outbound = kafka.Read(kafka.Topics.Outbound);
        await using var host = await WorkerHost.StartAsync(kafka, $"g{Guid.NewGuid():N}", _ => new DelegateHandler((frame, position, _) =>
            ValueTask.FromResult<IReadOnlyList<Delivery>>([GroupMessage(frame, position, room), ConnectionMessage(frame, position, 1)])), null, ct);

        await kafka.ProduceAsync(connectionKey, Event(connection, "hello"), ct);
        var records = await outbound.WaitForAsync(r => r.Count == 2, Patience, "both deliveries arrive", ct);

        var toRoom = Assert.Single(records, r => r.Delivery!.Target == DeliveryTarget.Group);
        Assert.Equal(PartitionKeys.Room(Hub, room), toRoom.Key);
        Assert.Equal(PartitionOf(room), toRoom.Partition);
        var toConnection = Assert.Single(records, r => r.Delivery!.Target == DeliveryTarget.Connection);
        Assert.Equal(connectionKey, toConnection.Key);
    }
}
