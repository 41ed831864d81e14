using System.Diagnostics;
using System.Net;
using BrokerChat.Testing;
using BrokerChat.Testing.Network;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Two connectors on one Kafka; connector A runs on a lab host of its own and reaches Kafka across that host's link,
/// while its clients reach it without the link (through a forwarder onto the host's loopback). The link is cut: A
/// loses Kafka but keeps its clients, tells them to reconnect, and they carry on on connector B, which the test's
/// clients pick as a load balancer would.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class ConnectorKafkaCutTests
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(1); // ConnectorPair's
    private static readonly TimeSpan LossTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BeaconInterval = TimeSpan.FromSeconds(1); // ConnectorPair's
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(40);
    private static readonly (string Name, string Room)[] Senders = [("s0", "a"), ("s1", "a"), ("s2", "b")];
    private static readonly (string Name, string[] Rooms, bool OnA)[] Receivers =
        [("reliable-a", ["a"], true), ("reliable-ab", ["a", "b"], true), ("reliable-b", ["b"], true), ("witness-on-b", ["a", "b"], false)];

    [Fact(Timeout = 180_000)]
    public async Task AConnectorCutOffFromKafkaSendsItsReliableClientsToAnotherConnectorWithNothingAcknowledgedLostRepeatedOrReordered()
    {
        var ct = TestContext.Current.CancellationToken;
        if (await NetworkLab.SkipReasonAsync() is { } unavailable)
        {
            Assert.Skip(unavailable);
        }

        await using var pair = await ConnectorPair.StartAsync(settings => settings["Connector:KafkaLossTimeout"] = LossTimeout.ToString(), ct);
        var (a, b, hostA) = (pair.A, pair.B, pair.HostA);

        var tally = new MessageTally();
        var clients = new List<WebPubSubTestClient>();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var moves = new List<TimeSpan>();
        long cutAt = 0;
        try
        {
            var receiving = new List<Task>();
            foreach (var (name, rooms, onA) in Receivers)
            {
                var receiver = await ConnectorPair.ConnectMemberAsync(onA ? b.ClientUrlAt(a.LocalBaseUri, "cut", name) : b.ClientUrl("cut", name), rooms, ct);
                clients.Add(receiver);

                receiving.Add(tally.ReceiveAsync(receiver, name, rooms, stopReceiving.Token, async (old, token) =>
                {
                    // Told to reconnect: the session resumes on B, where a load balancer would send it.
                    Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)1012, (await old.Closed.Task).Status);
                    var resumed = await old.ResumeAsync(b.ClientUrl("cut", name), token);
                    lock (clients)
                    {
                        clients.Add(resumed);
                        moves.Add(Stopwatch.GetElapsedTime(cutAt));
                    }

                    return resumed;
                }));
            }

            var senders = new List<WebPubSubTestClient>();
            foreach (var (name, room) in Senders)
            {
                var sender = await WebPubSubTestClient.ConnectUrlAsync(b.ClientUrlAt(a.LocalBaseUri, "cut", name), cancellationToken: ct);
                clients.Add(sender);
                senders.Add(sender);
                Assert.All(await tally.SendBatchAsync(sender, name, room, 1, ct), ack => Assert.True(ack.Success, ack.ErrorMessage));
            }

            using var stopSending = new CancellationTokenSource();
            var acks = new List<Task<AckFrame>>();
            var sending = Senders.Select((s, i) => tally.SendSteadilyAsync(senders[i], s.Name, s.Room, Pace, acks, stopSending.Token, ct, async token =>
            {
                // Told to reconnect: the sender connects to B, where a load balancer would send it.
                var moved = await WebPubSubTestClient.ConnectUrlAsync(b.ClientUrl("cut", s.Name), cancellationToken: token);
                lock (clients)
                {
                    clients.Add(moved);
                }

                return moved;
            })).ToList();
            var start = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, start, long.MaxValue) >= 60, ct);

            cutAt = Stopwatch.GetTimestamp();
            await hostA.CutAsync();
            // A is no longer ready (a load balancer stops sending it clients) and its clients come to B.
            await Wait.UntilAsync(async () => await a.ReadyzAsync(ct) == HttpStatusCode.ServiceUnavailable, LossTimeout * 4, ct);
            var unready = Stopwatch.GetElapsedTime(cutAt);
            await Wait.UntilAsync(() => moves.Count == Receivers.Count(r => r.OnA), ct);
            var movedAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.FirstSuccessAckAfter(cutAt, minLeg: 1) is not null, ct);
            var firstSuccessOnB = tally.FirstSuccessAckAfter(cutAt, minLeg: 1);
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, movedAt, long.MaxValue) >= 60, ct);
            await stopSending.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            await Wait.UntilAsync(() => MessageTally.AllCompleted(acks), ct);
            await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

            var counts = tally.Count();
            // A success ack from A for a message sent after the cut would be false: A cannot reach Kafka.
            var falseSuccesses = tally.SuccessesOfMessagesSentBetween(cutAt, long.MaxValue, leg: 0);
            var recovery = Stopwatch.GetElapsedTime(cutAt, firstSuccessOnB!.Value);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Connector A cut off from Kafka, its clients kept ({Senders.Length} senders on A, one message each every {Pace.TotalMilliseconds:0} ms; AckTimeout {AckTimeout.TotalSeconds:0} s, KafkaLossTimeout {LossTimeout.TotalSeconds:0} s):");
            TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
                ("A's /readyz unhealthy after the cut", $"{unready.TotalSeconds:0.00} s"),
                ("reliable receivers resumed on B after the cut", string.Join(", ", moves.Select(m => $"{m.TotalSeconds:0.00} s"))),
                ("recovery (cut to first success ack on B)", $"{recovery.TotalSeconds:0.00} s")));

            Assert.Equal(0, counts.LostAfterSuccess);
            Assert.Equal(0, counts.Duplicated);
            Assert.Equal(0, counts.Reordered);
            Assert.Equal(0, falseSuccesses);
            // A answers every request it took before it closes the connection (Timeout); only sends that reach it
            // after its close began are left unanswered.
            Assert.True(tally.UnansweredBeforeAnswered() == 0, tally.Timeline(cutAt));
            Assert.True(counts.ErrorAckedTotal > 0, "no sender got an error ack while A was cut off");
            Assert.True(counts.LongestErrorAck <= AckTimeout + TimeSpan.FromSeconds(2), $"an error ack took {counts.LongestErrorAck.TotalSeconds:0.00} s");
            Assert.True(moves.Max() <= LossTimeout + BeaconInterval + TimeSpan.FromSeconds(3), $"moved {moves.Max().TotalSeconds:0.00} s after the cut");
            Assert.All(counts.DeliveredTo, d => Assert.True(d.Value > 0, d.Key));
        }
        finally
        {
            await stopReceiving.CancelAsync();
            foreach (var client in clients.ToArray())
            {
                await client.DisposeAsync();
            }
        }
    }
}
