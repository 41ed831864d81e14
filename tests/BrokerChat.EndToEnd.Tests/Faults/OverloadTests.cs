using System.Diagnostics;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Past its capacity BrokerChat degrades rather than stalls: senders that keep far more requests awaiting acks than
/// the connector lets wait (<c>Connector:MaxAwaitedOutcomes</c>) get error acks with the protocol's names in bounded
/// time and never a false success, readers stay connected and get every message acked as a success, a newcomer is
/// served during the flood, and the pipeline is quick again soon after the flood stops.
/// </summary>
public sealed class OverloadTests
{
    private const int Rooms = 4;
    private const int SendersPerRoom = 3;
    private const int Window = 400;
    private const int MaxAwaitedOutcomes = 1_000;
    private static readonly TimeSpan FloodFor = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Every ack comes within the ack timeout and the heartbeat scan that expires it, with a second to spare on a loaded machine.</summary>
    private static readonly TimeSpan AckBound = AckTimeout + TimeSpan.FromSeconds(2);

    /// <summary>
    /// A newcomer connects, joins, gets a room's message and has its own acked as a success within this, during the
    /// flood (about a second on an idle machine; the bound allows for a loaded one, where the test's own clients
    /// share two cores with the server).
    /// </summary>
    private static readonly TimeSpan NewcomerBound = TimeSpan.FromSeconds(10);

    /// <summary>After the flood, a message is acked quickly again within this.</summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);

    /// <summary>A message acked within this counts as quick.</summary>
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(500);

    [Fact(Timeout = 120_000)]
    public async Task AFloodPastCapacityGetsErrorAcksInBoundedTimeWhileReadersNewcomersAndRecoveryAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new HostSettings();
        settings.Connector.AckTimeout = AckTimeout;
        settings.Connector.MaxAwaitedOutcomes = MaxAwaitedOutcomes;
        await using var host = await BrokerChatHost.StartAsync(settings.WithoutRateLimits());
        var tally = new MessageTally();
        var clients = new List<WebPubSubTestClient>();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            var receiving = new List<Task>();
            var senders = new List<(WebPubSubTestClient Client, string Name, string Room)>();
            for (var room = 0; room < Rooms; room++)
            {
                var reader = await Connect(host, $"reader-{room}", clients, ct);
                Assert.True((await reader.JoinGroupAsync($"room-{room}", ct))!.Success);
                receiving.Add(tally.ReceiveAsync(reader, $"reader-{room}", [$"room-{room}"], stopReceiving.Token));
                for (var s = 0; s < SendersPerRoom; s++)
                {
                    senders.Add((await Connect(host, $"sender-{room}-{s}", clients, ct), $"sender-{room}-{s}", $"room-{room}"));
                }
            }

            // The flood: every sender keeps Window requests awaiting their acks, twelve senders against a bound of 1,000.
            using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var floodStart = Stopwatch.GetTimestamp();
            var flooding = senders.Select(s => FloodAsync(tally, s.Client, s.Name, s.Room, stopFlood.Token, ct)).ToList();
            await Wait.UntilAsync(() => tally.Count().ErrorAcked.ContainsKey("InternalServerError busy"), ct);

            // A newcomer during the flood: connects, joins a flooded room and gets a message from it.
            var newcomerAt = Stopwatch.GetTimestamp();
            var newcomer = await Connect(host, "newcomer", clients, ct);
            Assert.True((await newcomer.JoinGroupAsync("room-0", ct))!.Success);
            var first = await newcomer.NextMessageAsync(ct).WaitAsync(NewcomerBound, ct);
            var newcomerTook = Stopwatch.GetElapsedTime(newcomerAt);
            Assert.NotNull(first["data"]);

            // ... and its own message gets through: refused as busy maybe, sent again until it is acked as a success.
            var newcomerSendAt = Stopwatch.GetTimestamp();
            var newcomerTries = 0;
            AckFrame newcomerAck;
            do
            {
                newcomerTries++;
                newcomerAck = await (await tally.SendAsync(newcomer, "newcomer", "room-0", ct)).WaitAsync(AckBound, ct);
            }
            while (!newcomerAck.Success && Stopwatch.GetElapsedTime(newcomerAt) < NewcomerBound);

            var newcomerSentIn = Stopwatch.GetElapsedTime(newcomerAt);
            var newcomerSendTook = Stopwatch.GetElapsedTime(newcomerSendAt);

            var floodLeft = FloodFor - Stopwatch.GetElapsedTime(floodStart);
            if (floodLeft > TimeSpan.Zero)
            {
                await Task.Delay(floodLeft, ct); // the length of the flood
            }

            var lateFlood = Stopwatch.GetTimestamp() - (Stopwatch.Frequency * 2);
            await stopFlood.CancelAsync();
            var stoppedAt = Stopwatch.GetTimestamp();
            var successesLateInFlood = tally.AcksBetween(success: true, lateFlood, stoppedAt);
            await Task.WhenAll(flooding).WaitAsync(AckBound * 2, ct);
            var floodCounts = tally.Count();

            // Recovery: a probe sends one message at a time until one is acked as a success quickly.
            var probe = await Connect(host, "probe", clients, ct);
            TimeSpan probeTook;
            do
            {
                var sent = Stopwatch.GetTimestamp();
                var ack = await (await tally.SendAsync(probe, "probe", "room-0", ct)).WaitAsync(AckBound, ct);
                probeTook = Stopwatch.GetElapsedTime(sent);
                if (ack.Success && probeTook < Quick)
                {
                    break;
                }
            }
            while (Stopwatch.GetElapsedTime(stoppedAt) < RecoveryBound);

            var recovery = Stopwatch.GetElapsedTime(stoppedAt);

            // Throughput is back: a burst of 200 is acked as a success, all of it, and quickly.
            var burstAt = Stopwatch.GetTimestamp();
            var burst = await tally.SendBatchAsync(probe, "probe", "room-0", 200, ct);
            var burstTook = Stopwatch.GetElapsedTime(burstAt);

            await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            var counts = tally.Count();
            var flood = Stopwatch.GetElapsedTime(floodStart, stoppedAt);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Flood for {flood.TotalSeconds:0.0} s: {senders.Count} senders keeping {Window} acks awaited each in {Rooms} rooms of one reader, Connector:MaxAwaitedOutcomes {MaxAwaitedOutcomes}, AckTimeout {AckTimeout.TotalSeconds:0} s; then a probe:");
            TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
                ("flood: sent", $"{floodCounts.Sent} ({floodCounts.Sent / flood.TotalSeconds:0}/s)"),
                ("flood: success-acked", $"{floodCounts.SuccessAcked} ({floodCounts.SuccessAcked / flood.TotalSeconds:0}/s; {successesLateInFlood} in its last 2 s)"),
                ("flood: longest wait for any ack", $"{floodCounts.LongestAck.TotalSeconds:0.00} s"),
                ("newcomer: connected, joined, first message", $"{newcomerTook.TotalSeconds:0.00} s"),
                ("newcomer: its own message success-acked", $"{newcomerSendTook.TotalSeconds:0.00} s after its first try ({newcomerTries} tries; {newcomerSentIn.TotalSeconds:0.00} s in all)"),
                ("recovery (flood stopped to a success ack within 500 ms)", $"{recovery.TotalSeconds:0.00} s (that ack {probeTook.TotalMilliseconds:0} ms)"),
                ("burst of 200 after recovery, all success-acked", $"{burstTook.TotalSeconds:0.00} s")));

            // Past capacity: the bound refused requests at once, and successes still came until the end of the flood.
            Assert.True(floodCounts.ErrorAcked.GetValueOrDefault("InternalServerError busy") > 0);
            Assert.True(successesLateInFlood > 0, "no success ack in the flood's last 2 s: it stalled");
            // Every send got an ack, in bounded time; nothing acked as a success was lost, repeated or reordered.
            Assert.Equal(0, counts.Unanswered);
            Assert.True(counts.LongestAck <= AckBound, $"an ack took {counts.LongestAck.TotalSeconds:0.00} s");
            Assert.Equal(0, counts.LostAfterSuccess);
            Assert.Equal(0, counts.Duplicated);
            Assert.Equal(0, counts.Reordered);
            Assert.All(counts.ErrorAcked.Keys, name => Assert.Contains(name, new[] { "InternalServerError busy", "Timeout", "TooManyRequests" }));
            Assert.All(clients, client => Assert.False(client.Closed.Task.IsCompleted, "a client was closed"));
            Assert.True(newcomerAck.Success && newcomerSentIn < NewcomerBound, $"the newcomer's message was not acked as a success within {NewcomerBound.TotalSeconds:0} s ({newcomerAck.ErrorName}, {newcomerTries} tries)");
            Assert.True(recovery < RecoveryBound, $"no quick success ack within {RecoveryBound.TotalSeconds:0} s of the flood's end");
            Assert.All(burst, ack => Assert.True(ack.Success, ack.ErrorName));
            Assert.True(burstTook < TimeSpan.FromSeconds(5), $"a burst of 200 took {burstTook.TotalSeconds:0.00} s after recovery");
        }
        finally
        {
            await stopReceiving.CancelAsync();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<WebPubSubTestClient> Connect(BrokerChatHost host, string user, List<WebPubSubTestClient> clients, CancellationToken ct)
    {
        var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("flood", user), cancellationToken: ct);
        clients.Add(client);
        return client;
    }

    /// <summary>Sends numbered messages as fast as acks allow, keeping <see cref="Window"/> awaited, until <paramref name="stop"/>; then waits for the acks.</summary>
    private static async Task FloodAsync(MessageTally tally, WebPubSubTestClient client, string sender, string room, CancellationToken stop, CancellationToken ct)
    {
        using var window = new SemaphoreSlim(Window, Window);
        var acks = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await window.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }

            var ack = await tally.SendAsync(client, sender, room, ct);
            acks.Add(ack.ContinueWith(_ => window.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        }

        await Task.WhenAll(acks).WaitAsync(AckBound * 2, ct);
    }
}
