using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using BrokerChat.Testing;
using BrokerChat.Testing.Network;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Two connectors on one Kafka; connector A runs on a lab host of its own, and both its clients and Kafka reach it
/// over that host's link. The link is cut: A's reliable clients resume on connector B, A finds its clients gone by
/// the client timeout and loses Kafka; then the link is back, and A must rejoin cleanly without its stale copies of
/// the sessions that moved resurfacing.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class ConnectorHostCutTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(2);
    // Well past the client timeout and its 1 s scan: A finds its clients gone before it finds Kafka gone.
    private static readonly TimeSpan LossTimeout = TimeSpan.FromSeconds(6);
    // Slow enough that A's stale copies stay within what a detached session may hold unacknowledged (1,000 messages):
    // a stale copy must be refused for being stale, not for overflowing.
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(100);
    private static readonly (string Name, string Room)[] Senders = [("s0", "a"), ("s1", "b")];
    private static readonly (string Name, string[] Rooms, bool OnA)[] Receivers =
        [("reliable-a", ["a"], true), ("reliable-ab", ["a", "b"], true), ("witness-on-b", ["a", "b"], false)];

    [Fact(Timeout = 180_000)]
    public async Task AConnectorHostCutOffFromItsClientsAndKafkaRejoinsCleanlyAndItsStaleSessionsDoNotResurface()
    {
        var ct = TestContext.Current.CancellationToken;
        if (await NetworkLab.SkipReasonAsync() is { } unavailable)
        {
            Assert.Skip(unavailable);
        }

        await using var pair = await ConnectorPair.StartAsync(
            settings =>
            {
                settings["Connector:KafkaLossTimeout"] = LossTimeout.ToString();
                settings["Connector:ClientTimeout"] = ClientTimeout.ToString();
                settings["Connector:KeepAliveInterval"] = (ClientTimeout / 2).ToString();
            },
            ct);
        var (a, b, hostA) = (pair.A, pair.B, pair.HostA);

        var tally = new MessageTally();
        var clients = new List<WebPubSubTestClient>();
        var stale = new List<WebPubSubTestClient>();
        var moves = new List<TimeSpan>();
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long cutAt = 0;
        try
        {
            var receiving = new List<Task>();
            foreach (var (name, rooms, onA) in Receivers)
            {
                var receiver = await ConnectorPair.ConnectMemberAsync(onA ? b.ClientUrlAt(a.BaseUri, "cut", name) : b.ClientUrl("cut", name), rooms, ct);
                clients.Add(receiver);

                receiving.Add(tally.ReceiveAsync(receiver, name, rooms, stopReceiving.Token, async (old, token) =>
                {
                    // The client gave up on A (its network is gone): it resumes on B, where a load balancer sends it.
                    var resumed = await old.ResumeAsync(b.ClientUrl("cut", name), token);
                    lock (clients)
                    {
                        stale.Add(old);
                        clients.Add(resumed);
                        moves.Add(Stopwatch.GetElapsedTime(cutAt));
                    }

                    return resumed;
                }));
            }

            var senders = new List<WebPubSubTestClient>();
            foreach (var (name, room) in Senders)
            {
                var sender = await WebPubSubTestClient.ConnectUrlAsync(b.ClientUrl("cut", name), cancellationToken: ct);
                clients.Add(sender);
                senders.Add(sender);
            }

            using var stopSending = new CancellationTokenSource();
            var acks = new List<Task<AckFrame>>();
            var sending = Senders.Select((s, i) => tally.SendSteadilyAsync(senders[i], s.Name, s.Room, Pace, acks, stopSending.Token, ct)).ToList();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, 0, long.MaxValue) >= 30, ct);
            var timeoutsBefore = await a.MetricAsync("brokerchat_connector_heartbeat_timeouts_total", null, ct);

            await hostA.CutAsync();
            cutAt = Stopwatch.GetTimestamp();
            // The clients on A hear nothing more from it; each gives up on its connection (its own keep-alive would).
            foreach (var client in clients.Take(Receivers.Count(r => r.OnA)))
            {
                client.Abort();
            }

            await Wait.UntilAsync(() => moves.Count == Receivers.Count(r => r.OnA), ct);
            // A finds its clients gone by the client timeout (no FIN reached it), and then that Kafka is gone.
            await Wait.UntilAsync(async () => await a.MetricAsync("brokerchat_connector_heartbeat_timeouts_total", null, ct) >= timeoutsBefore + 2, ClientTimeout * 4, ct);
            var noticed = Stopwatch.GetElapsedTime(cutAt);
            await Wait.UntilAsync(async () => await a.ReadyzAsync(ct) == HttpStatusCode.ServiceUnavailable, LossTimeout * 4, ct);
            var unready = Stopwatch.GetElapsedTime(cutAt);

            await hostA.HealAsync();
            var healAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => a.IsReadyAsync(ct), TimeSpan.FromSeconds(60), ct);
            var rejoined = Stopwatch.GetElapsedTime(healAt);

            // A resumes none of the sessions that moved: their copies there are stale (refused with 1008, as is the
            // token they were last given there).
            var refusals = new List<string?>();
            foreach (var old in stale.ToArray())
            {
                await using var again = await old.ResumeAsync(b.ClientUrlAt(a.BaseUri, "cut", "again"), ct);
                var (status, description) = await again.WaitForCloseAsync(ct);
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
                refusals.Add(description);
            }

            // A serves new clients, with the room's traffic.
            await using var newcomer = await WebPubSubTestClient.ConnectUrlAsync(b.ClientUrlAt(a.BaseUri, "cut", "newcomer"), cancellationToken: ct);
            Assert.True((await newcomer.JoinGroupAsync("a", ct))!.Success);
            var joinedAt = Stopwatch.GetTimestamp();
            await Wait.UntilAsync(() => tally.AcksBetween(success: true, joinedAt, long.MaxValue) >= 10, ct);
            await newcomer.WaitForFrameAsync(f => f["data"] is JsonObject, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            // Its stale copies are gone from A: only the newcomer is connected there.
            await Wait.UntilAsync(async () => await a.MetricAsync("brokerchat_connector_connections", null, ct) == 1, TimeSpan.FromSeconds(10), ct);

            await stopSending.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            await Wait.UntilAsync(() => MessageTally.AllCompleted(acks), ct);
            await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

            var counts = tally.Count();
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Connector A's host cut off from its clients and Kafka, then back ({Senders.Length} senders on B, one message each every {Pace.TotalMilliseconds:0} ms; A's ClientTimeout {ClientTimeout.TotalSeconds:0} s, KafkaLossTimeout {LossTimeout.TotalSeconds:0} s):");
            TestContext.Current.TestOutputHelper?.WriteLine(counts.Table(
                ("reliable receivers resumed on B after the cut", string.Join(", ", moves.Select(m => $"{m.TotalSeconds:0.00} s"))),
                ("A found its clients gone after the cut", $"{noticed.TotalSeconds:0.00} s"),
                ("A's /readyz unhealthy after the cut", $"{unready.TotalSeconds:0.00} s"),
                ("A ready again after the heal (recovery)", $"{rejoined.TotalSeconds:0.00} s"),
                ("stale resumes on A refused", $"{refusals.Count}: {string.Join(" | ", refusals.Distinct())}")));

            Assert.Equal(0, counts.LostAfterSuccess);
            Assert.Equal(0, counts.Duplicated);
            Assert.Equal(0, counts.Reordered);
            Assert.Equal(0, counts.Unanswered);
            Assert.Equal(0, counts.ErrorAckedTotal); // the senders are on B, which never lost Kafka
            Assert.True(noticed <= ClientTimeout + TimeSpan.FromSeconds(2.5), $"A found its clients gone {noticed.TotalSeconds:0.00} s after the cut");
            Assert.All(counts.DeliveredTo, d => Assert.True(d.Value > 0, d.Key));
        }
        finally
        {
            await stopReceiving.CancelAsync();
            foreach (var client in clients.ToArray())
            {
                if (stale.Contains(client))
                {
                    continue; // aborted: nothing to close
                }

                await client.DisposeAsync();
            }
        }
    }
}
