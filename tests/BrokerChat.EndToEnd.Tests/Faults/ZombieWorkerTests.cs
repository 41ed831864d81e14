using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// A zombie worker: one of two worker processes is frozen (SIGSTOP) just after it took a burst of records, so it
/// holds records handled but not committed, deliveries not yet sent, and records not yet handled. The group hears
/// nothing from it and gives its partitions to the other worker, which handles the uncommitted records again; then
/// the frozen one runs on (SIGCONT) and produces what it held before it learns its partitions are gone. Transactions
/// cannot fence it (the embedded Kafka's are not faithful, and they are not used): the connectors drop every repeat
/// by the position of the inbound record it was made from.
/// </summary>
public sealed class ZombieWorkerTests
{
    private const string Hub = "zombie";
    private const int Burst = 20;
    private const string DuplicateCounter = "brokerchat.connector.deliveries.duplicate";
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(25);

    [Fact(Timeout = 120_000)]
    public async Task AWorkerFrozenWhileItHoldsRecordsAndResumedAfterItsPartitionsMovedMakesNoDuplicateAndNoReordering()
    {
        KafkaForTheRun.RequireEmbedded("its 6 s consumer-group session timeout moves the frozen worker's partitions within seconds");
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Functions = { InProcessWorkers = 0 },
            Connector =
            {
                // Longer than the freeze: every message is acknowledged, so anything missing is a loss.
                AckTimeout = TimeSpan.FromMinutes(1),
                // Rooms remember fewer message ids than the zombie has stale records: only the position tells its
                // output is a repeat.
                RoomHistoryMessages = 20,
            },
        }.WithoutRateLimits());
        var workerSettings = new HostSettings { Functions = { Moderation = { MessagesPerSecond = 0 } } };
        var partitions = host.Services.GetRequiredService<IOptions<KafkaOptions>>().Value.Partitions;
        using var metrics = new MetricsRecorder(host.Services);
        await using var zombie = FunctionsProcess.Start(host, workerSettings);
        await zombie.Assigned.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await using var survivor = FunctionsProcess.Start(host, workerSettings);
        await Wait.UntilAsync(() => Settled(zombie, survivor, partitions), ct);

        // Two rooms on the zombie's partitions, one on the survivor's; every receiver is in all three.
        var zombieRooms = RoomsOn(zombie.Owned, partitions).Take(2).ToArray();
        var rooms = zombieRooms.Append(RoomsOn(survivor.Owned, partitions).First()).ToArray();
        var tally = new MessageTally();
        var clients = new List<WebPubSubTestClient>();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopSending = new CancellationTokenSource();
        try
        {
            var receiving = new List<Task>();
            foreach (var (name, reliable) in new[] { ("plain", false), ("reliable", true) })
            {
                var receiver = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, name), new WebPubSubTestClientOptions { Reliable = reliable }, ct);
                clients.Add(receiver);
                foreach (var room in rooms)
                {
                    Assert.True((await receiver.JoinGroupAsync(room, ct))!.Success);
                }

                receiving.Add(tally.ReceiveAsync(receiver, name, rooms, stopReceiving.Token));
            }

            var senders = new List<WebPubSubTestClient>();
            foreach (var room in rooms)
            {
                var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "to-" + room), cancellationToken: ct);
                clients.Add(sender);
                senders.Add(sender);
            }

            var burster = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "burst"), cancellationToken: ct);
            clients.Add(burster);
            var acks = rooms.Select(_ => new List<Task<AckFrame>>()).ToArray();
            var sending = rooms.Select((room, i) => tally.SendSteadilyAsync(senders[i], "to-" + room, room, Pace, acks[i], stopSending.Token, ct)).ToList();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, 0, long.MaxValue) >= 60, ct);

            // A burst into the zombie's rooms, and the zombie frozen as it arrives: it holds some of it at whatever
            // stage (fetched, handled, produced but not sent), and its last records are not committed. It also still
            // holds its partitions and its read positions: after the freeze it reads on from there.
            var burst = new List<Task<AckFrame>>();
            for (var i = 0; i < Burst; i++)
            {
                burst.Add(await tally.SendAsync(burster, "burst", zombieRooms[0], ct));
            }

            zombie.Freeze();
            var frozenAt = Stopwatch.GetTimestamp();

            // The group gives the zombie's partitions to the survivor, which handles its uncommitted records again.
            await Wait.UntilAsync(() => survivor.Owned.Count == partitions, ct);
            var movedAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.FirstSuccessOfMessagesSentAfter(frozenAt, zombieRooms) is not null, ct);
            var recovery = Stopwatch.GetElapsedTime(frozenAt, tally.FirstSuccessOfMessagesSentAfter(frozenAt, zombieRooms)!.Value);
            var droppedBeforeResume = metrics.TotalOverTags(DuplicateCounter);
            var burstAckedBeforeResume = burst.Count(a => a.IsCompleted);

            // The zombie runs on from where it stopped: it sends what it held until it learns its partitions are gone.
            zombie.Continue();
            var resumedAt = Stopwatch.GetTimestamp();
            await zombie.Lost.WaitAsync(TimeSpan.FromSeconds(30), ct);
            var lostAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, lostAt, long.MaxValue) >= 60, ct);
            await stopSending.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            await Task.WhenAll(acks.SelectMany(a => a).Concat(burst)).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

            var counts = tally.Count();
            var dropped = metrics.TotalOverTags(DuplicateCounter);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Worker frozen {Stopwatch.GetElapsedTime(frozenAt, resumedAt).TotalSeconds:0.0} s while holding records, resumed after its partitions moved "
                + $"({rooms.Length} senders, one message each every {Pace.TotalMilliseconds:0} ms, a burst of {Burst} into a room of the frozen worker just before):");
            TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
                ("burst messages acknowledged before the zombie resumed", $"{burstAckedBeforeResume} of {Burst}"),
                ("repeats dropped by the connector, by position / by message id", $"{metrics.Sum(DuplicateCounter, "by", "position")} / {metrics.Sum(DuplicateCounter, "by", "message_id")}"),
                ("… of them before the zombie resumed (the new owner's)", $"{droppedBeforeResume}"),
                ("… after it resumed (the zombie's, and the new owner's last)", $"{dropped - droppedBeforeResume}"),
                ("partitions moved (freeze to the survivor owning all)", $"{Stopwatch.GetElapsedTime(frozenAt, movedAt).TotalSeconds:0.00} s"),
                ("recovery (freeze to the first success in the frozen worker's rooms)", $"{recovery.TotalSeconds:0.00} s"),
                ("connector's room history", "20 messages per room")));

            Assert.Equal(0, counts.LostAfterSuccess);
            Assert.Equal(0, counts.Duplicated);
            Assert.Equal(0, counts.Reordered);
            Assert.Equal(0, counts.Unanswered);
            Assert.Equal(0, counts.ErrorAckedTotal);
            Assert.All(counts.DeliveredTo, d => Assert.Equal(counts.SuccessAcked, d.Value));
            // The fault happened: the new owner (or the zombie) produced again what had been delivered.
            Assert.True(dropped > 0, "no repeat reached the connector: the frozen worker held nothing");
        }
        finally
        {
            await stopSending.CancelAsync();
            await stopReceiving.CancelAsync();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StaleCopiesOfDeliveredMessagesProducedAgainReachNobodyEvenWhenTheRoomNoLongerHoldsTheirIds()
    {
        // What a zombie produces, at a moment of the test's choosing: the room's deliveries, read back from the
        // outbound topic and produced again, byte for byte, after more than the room history holds came after them.
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Connector = { RoomHistoryMessages = 20 } }.WithoutRateLimits());
        using var metrics = new MetricsRecorder(host.Services);
        const string room = "stale";
        var tally = new MessageTally();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var plain = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "plain"), cancellationToken: ct);
        await using var reliable = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "reliable"), new WebPubSubTestClientOptions { Reliable = true }, ct);
        await using var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "sender"), cancellationToken: ct);
        var receiving = new List<Task>();
        foreach (var (receiver, name) in new[] { (plain, "plain"), (reliable, "reliable") })
        {
            Assert.True((await receiver.JoinGroupAsync(room, ct))!.Success);
            receiving.Add(tally.ReceiveAsync(receiver, name, [room], stopReceiving.Token));
        }

        Assert.All(await tally.SendBatchAsync(sender, "sender", room, 50, ct), a => Assert.True(a.Success, a.ErrorMessage));
        await Wait.UntilAsync(tally.ReachedLastSuccess, ct);

        var factory = host.Services.GetRequiredService<KafkaClientFactory>();
        var stale = ReadRoomRecords(factory, room);
        Assert.Equal(50, stale.Count);
        var producer = host.Services.GetRequiredService<KafkaProducerHost>().Producer;
        foreach (var record in stale)
        {
            await producer.ProduceAsync(factory.Topics.Outbound, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value }, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        }

        Assert.All(await tally.SendBatchAsync(sender, "sender", room, 10, ct), a => Assert.True(a.Success, a.ErrorMessage));
        await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
        await stopReceiving.CancelAsync();
        await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

        var counts = tally.Count();
        TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
            ("stale copies produced again", $"{stale.Count}"),
            ("repeats dropped by the connector, by position / by message id", $"{metrics.Sum(DuplicateCounter, "by", "position")} / {metrics.Sum(DuplicateCounter, "by", "message_id")}")));
        Assert.Equal(0, counts.Duplicated);
        Assert.Equal(0, counts.Reordered);
        Assert.Equal(0, counts.LostAfterSuccess);
        Assert.All(counts.DeliveredTo, d => Assert.Equal(60, d.Value));
        Assert.Equal(stale.Count, metrics.Sum(DuplicateCounter, "by", "position"));
    }

    /// <summary>The room's group messages on the outbound topic, as the functions produced them, oldest first.</summary>
    private static List<Message<byte[], byte[]>> ReadRoomRecords(KafkaClientFactory factory, string room)
    {
        var topic = factory.Topics.Outbound;
        var partition = PartitionKeys.PartitionOf(PartitionKeys.Room(Hub, room), factory.Options.Partitions);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(factory.ConsumerConfig("zombie-reader", "zombie-reader", c => c.EnableAutoCommit = false)).Build();
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10)).High.Value;
        consumer.Assign(new TopicPartitionOffset(topic, partition, Offset.Beginning));
        var records = new List<Message<byte[], byte[]>>();
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * WebPubSubTestClient.DefaultTimeout.TotalSeconds);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is { } message && IsRoomMessage(message.Value, room))
            {
                records.Add(message);
            }

            if (result is not null && result.Offset.Value >= end - 1)
            {
                break;
            }
        }

        return records;
    }

    /// <summary>Whether <paramref name="value"/> is a message to <paramref name="room"/>.</summary>
    private static bool IsRoomMessage(byte[] value, string room) =>
        ContractSerializer.DeserializeDelivery(value) is { Target: DeliveryTarget.Group, HasMessage: true } delivery && delivery.Group == room;

    /// <summary>Whether the two workers split every partition between them, each with some.</summary>
    private static bool Settled(FunctionsProcess a, FunctionsProcess b, int partitions)
    {
        var (first, second) = (a.Owned, b.Owned);
        return first.Count > 0 && second.Count > 0 && first.Count + second.Count == partitions && !first.Overlaps(second);
    }

    /// <summary>Room names whose records land on one of <paramref name="owned"/>.</summary>
    private static IEnumerable<string> RoomsOn(IReadOnlySet<int> owned, int partitions) =>
        Enumerable.Range(0, 1000).Select(i => $"room{i}").Where(room => owned.Contains(PartitionKeys.PartitionOf(PartitionKeys.Room(Hub, room), partitions)));
}
