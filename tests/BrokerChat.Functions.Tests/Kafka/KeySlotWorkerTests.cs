using System.Collections.Concurrent;
using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using static BrokerChat.Functions.Tests.Kafka.TestRequests;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>The rooms of one partition are handled at once in their key slots, each room in order, committed in offset order.</summary>
public sealed class KeySlotWorkerTests
{
    private const int Timeout = 90_000;
    private static readonly TimeSpan OtherRoomBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = Timeout)]
    public async Task SlowRoomDoesNotHoldUpAnotherRoomOfItsPartitionWhoseDeliveriesArriveWithinFiveSecondsAndTheCommitStopsAtTheSlowRoomsFirstUnfinishedRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        var group = $"g{Guid.NewGuid():N}";
        var (slow, other) = RoomsOnOnePartitionInDifferentSlots();
        var partition = PartitionOf(slow);
        var outbound = kafka.Read(kafka.Topics.Outbound);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        var settings = new Dictionary<string, string?> { ["Functions:DrainTimeout"] = "00:00:01" };

        await using (var first = await WorkerHost.StartAsync(kafka, group, _ => new DelegateHandler(async (frame, position, token) =>
        {
            if (frame.Group == slow)
            {
                // The slow room's dependency never answers while this worker runs: its first record holds its slot.
                held.TrySetResult();
                await Task.Delay(Timeout, token);
            }

            handled.Enqueue(Text(frame));
            return [GroupMessage(frame, position)];
        }), settings, ct))
        {
            var marker = await kafka.SendAsync(other, "m", ct);
            var slow1 = await kafka.SendAsync(slow, "s1", ct);
            await Eventually.CompletesAsync(held.Task, Patience, "the slow room's first record is being handled", ct);
            var clock = Stopwatch.StartNew();
            await kafka.SendAsync(other, "o1", ct);
            await kafka.SendAsync(slow, "s2", ct);
            await kafka.SendAsync(other, "o2", ct);
            await kafka.SendAsync(slow, "s3", ct);
            await kafka.SendAsync(other, "o3", ct);

            await outbound.WaitForAsync(r => r.Count(d => d.Delivery?.Group == other) == 4, OtherRoomBound, "the other room's deliveries arrive while the slow room is held", ct);
            var bound = clock.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine($"the other room's 3 deliveries arrived {bound.TotalMilliseconds:0} ms after they were sent, the slow room held");

            Assert.Equal(["m", "o1", "o2", "o3"], handled);
            Assert.True(marker.Partition.Value == partition && slow1.Partition.Value == partition);
            // Everything but the slow room's three records is finished, deliveries acknowledged: only those are held.
            await Eventually.HoldsAsync(() => first.Worker.InFlight == 3, Patience, "only the slow room's records are in flight", ct);
            await first.StopAsync();

            // The worker committed on leaving: up to the slow room's first record, not past it, though later ones finished.
            Assert.Equal(slow1.Offset.Value, kafka.Committed(group, partition));
        }

        // The next owner handles the slow room's records again, released now, in order.
        var again = new ConcurrentQueue<string>();
        await using (var second = await WorkerHost.StartAsync(kafka, group, _ => new DelegateHandler((frame, position, _) =>
        {
            again.Enqueue(Text(frame));
            return ValueTask.FromResult<IReadOnlyList<Delivery>>([GroupMessage(frame, position)]);
        }), null, ct))
        {
            var records = await outbound.WaitForAsync(r => r.Count(d => d.Delivery?.Group == slow) == 3, Patience, "the slow room's deliveries arrive", ct);

            Assert.Equal(["s1", "s2", "s3"], again.Where(t => t.StartsWith('s')));
            Assert.Equal(["s1", "s2", "s3"], records.Where(d => d.Delivery?.Group == slow).Select(d => d.Text));
            Assert.DoesNotContain("m", again);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task EveryRoomOfAPartitionKeepsItsOrderWhileItsKeySlotsRunAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        var rooms = RoomsOnPartitionOf("room-0").Take(6).ToArray();
        var (first, second) = RoomsOnOnePartitionInDifferentSlots();
        rooms = [first, second, .. rooms.Except([first, second]).Take(4)];
        Assert.True(rooms.Select(r => SlotOf(r)).Distinct().Count() >= 2, "the rooms share one slot");
        const int perRoom = 40;
        var outbound = kafka.Read(kafka.Topics.Outbound);
        var handled = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var bothEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = 0;
        var running = new ConcurrentDictionary<string, int>();
        var overlaps = 0;

        await using var host = await WorkerHost.StartAsync(kafka, $"g{Guid.NewGuid():N}", _ => new DelegateHandler(async (frame, position, token) =>
        {
            var text = Text(frame);
            var n = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            if (running.AddOrUpdate(frame.Group!, 1, (_, c) => c + 1) > 1)
            {
                Interlocked.Increment(ref overlaps); // two records of one room at once
            }

            if (n == 0 && (frame.Group == first || frame.Group == second))
            {
                // The first records of two rooms in different slots wait for each other: they only meet if both run at once.
                if (Interlocked.Increment(ref entered) == 2)
                {
                    bothEntered.TrySetResult();
                }

                await bothEntered.Task.WaitAsync(Patience, token);
            }
            else if (n % 3 == 0)
            {
                await Task.Delay(1, token); // let the other slots interleave with this one
            }

            handled.GetOrAdd(frame.Group!, _ => new ConcurrentQueue<int>()).Enqueue(n);
            running.AddOrUpdate(frame.Group!, 0, (_, c) => c - 1);
            return [GroupMessage(frame, position)];
        }), null, ct);

        for (var n = 0; n < perRoom; n++)
        {
            foreach (var room in rooms)
            {
                await kafka.SendAsync(room, n.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
            }
        }

        var records = await outbound.WaitForAsync(r => r.Count == rooms.Length * perRoom, Patience, "every request's delivery arrives", ct);

        Assert.True(bothEntered.Task.IsCompletedSuccessfully);
        Assert.Equal(0, overlaps);
        var expected = Enumerable.Range(0, perRoom).ToArray();
        Assert.All(rooms, room =>
        {
            Assert.Equal(expected, handled[room]);
            Assert.Equal(expected, records.Where(d => d.Delivery?.Group == room).Select(d => int.Parse(d.Text!, System.Globalization.CultureInfo.InvariantCulture)));
        });
    }
}
