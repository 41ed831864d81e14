using System.Diagnostics;
using BrokerChat.Testing;
using BrokerChat.Testing.Network;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Kafka on a host of its own (a network namespace) whose link is cut for a few seconds while rooms chat: the
/// connector and the functions hear nothing from it (no FIN, no reset), and then it is back. The outage is shorter
/// than <c>Connector:KafkaLossTimeout</c>, so clients stay (the long outage is <see cref="KafkaLossTests"/>).
/// </summary>
public sealed class KafkaHostCutTests
{
    private static readonly TimeSpan Cut = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(40);
    private static readonly (string Name, string Room)[] Senders = [("s0", "a"), ("s1", "a"), ("s2", "b")];
    private static readonly (string Name, string[] Rooms, bool Reliable)[] Receivers =
        [("plain-a", ["a"], false), ("plain-b", ["b"], false), ("plain-ab", ["a", "b"], false), ("reliable-ab", ["a", "b"], true)];

    [Fact(Timeout = 120_000)]
    public async Task TheKafkaHostCutOffMidStreamGivesErrorAcksWhileAwayLosesNothingAcknowledgedAndChatCarriesOnAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        if (await NetworkLab.SkipReasonAsync() is { } unavailable)
        {
            Assert.Skip(unavailable);
        }

        await using var lab = await NetworkLab.CreateAsync(1);
        var kafkaHost = lab.Hosts[0];
        await using var kafka = await LabKafka.StartAsync(kafkaHost);
        var settings = kafka.CreateHostSettings();
        settings.Connector.AckTimeout = AckTimeout;
        // An outage shorter than the loss timeout, however slow this machine: clients stay and get error acks.
        settings["Connector:KafkaLossTimeout"] = TimeSpan.FromMinutes(5).ToString();
        await using var host = await BrokerChatHost.StartAsync(settings.WithoutRateLimits());

        var tally = new MessageTally();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clients = new List<WebPubSubTestClient>();
        try
        {
            var receiving = new List<Task>();
            foreach (var (name, rooms, reliable) in Receivers)
            {
                var receiver = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("cut", name), new WebPubSubTestClientOptions { Reliable = reliable }, ct);
                clients.Add(receiver);
                foreach (var room in rooms)
                {
                    Assert.True((await receiver.JoinGroupAsync(room, ct))!.Success);
                }

                receiving.Add(tally.ReceiveAsync(receiver, name, rooms, stopReceiving.Token));
            }

            var senders = new List<WebPubSubTestClient>();
            foreach (var (name, room) in Senders)
            {
                var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("cut", name), cancellationToken: ct);
                clients.Add(sender);
                senders.Add(sender);
                Assert.All(await tally.SendBatchAsync(sender, name, room, 1, ct), a => Assert.True(a.Success, a.ErrorMessage));
            }

            // Steady traffic: every sender sends its next message every 40 ms, without waiting for acks.
            using var stopSending = new CancellationTokenSource();
            var acks = new List<Task<AckFrame>>[Senders.Length];
            var sending = Senders.Select((s, i) => tally.SendSteadilyAsync(senders[i], s.Name, s.Room, Pace, acks[i] = [], stopSending.Token, ct)).ToList();
            var start = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, start, long.MaxValue) >= 60, ct);

            await kafkaHost.CutAsync();
            var cutAt = Stopwatch.GetTimestamp();
            await Task.Delay(Cut, ct); // the length of the outage
            var healAt = Stopwatch.GetTimestamp();
            await kafkaHost.HealAsync();

            await Wait.UntilAsync(() => tally.FirstSuccessAckAfter(healAt) is not null, ct);
            var recovery = Stopwatch.GetElapsedTime(healAt, tally.FirstSuccessAckAfter(healAt)!.Value);
            // Chat carries on: more traffic after the first success.
            var recoveredAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, recoveredAt, long.MaxValue) >= 60, ct);
            await stopSending.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            await Task.WhenAll(acks.SelectMany(a => a)).WaitAsync(AckTimeout * 3, ct);
            var errorsAfterRecovery = tally.AcksBetween(success: false, recoveredAt, long.MaxValue);

            // Every receiver has the last acknowledged message of each sender to its rooms; then nothing acknowledged may be missing.
            await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

            var counts = tally.Count();
            // A message sent while Kafka is away cannot be confirmed before it is back: a success then would be false.
            var falseSuccesses = tally.SuccessesOfMessagesSentBetween(cutAt, healAt);
            var errorsDuringCut = tally.AcksBetween(success: false, cutAt, healAt);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Kafka host cut for {Cut.TotalSeconds:0} s mid-stream ({Senders.Length} senders, one message each every {Pace.TotalMilliseconds:0} ms; Connector:AckTimeout {AckTimeout.TotalSeconds:0} s):");
            TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
                ("error acks during the cut", $"{errorsDuringCut}"),
                ("success acks for messages sent during the cut, before the heal", $"{falseSuccesses}"),
                ("recovery (heal to first success ack)", $"{recovery.TotalSeconds:0.00} s"),
                ("error acks after recovery", $"{errorsAfterRecovery}")));

            Assert.Equal(0, counts.LostAfterSuccess);
            Assert.Equal(0, counts.Duplicated);
            Assert.Equal(0, counts.Reordered);
            Assert.Equal(0, counts.Unanswered);
            Assert.Equal(0, falseSuccesses);
            // While Kafka is away senders are told in bounded time: the ack timeout and the 1 s heartbeat scan that
            // expires it, with a second to spare for a loaded machine.
            Assert.True(errorsDuringCut > 0, "no sender got an error ack while Kafka was away");
            Assert.True(counts.LongestErrorAck <= AckTimeout + TimeSpan.FromSeconds(2), $"an error ack took {counts.LongestErrorAck.TotalSeconds:0.00} s");
            Assert.True(recovery < TimeSpan.FromSeconds(15), $"the first success came {recovery.TotalSeconds:0.00} s after the heal");
            Assert.All(counts.DeliveredTo, d => Assert.True(d.Value > 0, d.Key));
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
}
