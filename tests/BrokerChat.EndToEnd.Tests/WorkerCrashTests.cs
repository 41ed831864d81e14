using System.Globalization;
using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// Function workers in processes of their own, one killed with SIGKILL in the middle of a steady stream and another
/// started later: every accepted message still reaches every member of its room exactly once and in order.
/// </summary>
public sealed class WorkerCrashTests
{
    private const int Rooms = 6;
    private const string Hub = "crash";

    /// <summary>Set to a file path to have the counts written there as well as to the test output.</summary>
    public const string ReportVariable = "BROKERCHAT_CRASH_REPORT";

    [Fact(Timeout = 240_000)]
    public async Task EveryAcceptedMessageReachesEveryMemberOnceAndInOrderWhenAWorkerIsKilledAndAnotherStarts()
    {
        KafkaForTheRun.RequireEmbedded("its 6 s consumer-group session timeout bounds how long the killed worker's partitions wait");
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Functions = { InProcessWorkers = 0 },
            Connector = { AckTimeout = TimeSpan.FromMinutes(1) },
        }.WithoutRateLimits());
        // Each sender streams 50 messages a second into its room: over the functions' default per-sender rate limit.
        var workerSettings = new HostSettings { Functions = { Moderation = { MessagesPerSecond = 0 } } };
        using var connectorMetrics = new MetricsRecorder(host.Services);
        var workers = new List<FunctionsProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                workers.Add(FunctionsProcess.Start(host, workerSettings));
            }

            await Task.WhenAll(workers.Select(w => w.Assigned)).WaitAsync(TimeSpan.FromSeconds(60), ct);

            // One sender per room; two watchers in every room. Every one of them is a member who must see everything.
            var senders = new WebPubSubTestClient[Rooms];
            var watchers = new WebPubSubTestClient[2];
            for (var room = 0; room < Rooms; room++)
            {
                senders[room] = await host.ConnectAsync(Hub, $"sender{room}", ct);
                await senders[room].JoinGroupAsync(Room(room), ct);
            }

            for (var w = 0; w < watchers.Length; w++)
            {
                watchers[w] = await host.ConnectAsync(Hub, $"watcher{w}", ct);
                for (var room = 0; room < Rooms; room++)
                {
                    await watchers[w].JoinGroupAsync(Room(room), ct);
                }
            }

            // A steady stream: one message per room every 20 ms. Kill a worker early, start another well after its
            // partitions moved (the group notices a dead member after its 6 s session timeout), then stream on.
            var acks = Enumerable.Range(0, Rooms).Select(_ => new List<Task<AckFrame>>()).ToArray();
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            FunctionsProcess? late = null;
            var sent = 0;
            for (var step = 1; ; step++)
            {
                await tick.WaitForNextTickAsync(ct);
                for (var room = 0; room < Rooms; room++)
                {
                    acks[room].Add(await senders[room].SendWithoutWaitingAsync(
                        new JsonObject { ["type"] = "sendToGroup", ["group"] = Room(room), ["dataType"] = "text", ["data"] = step.ToString(CultureInfo.InvariantCulture) }, ct));
                    sent++;
                }

                if (step == 50)
                {
                    await workers[1].KillAsync();
                }
                else if (step == 400)
                {
                    late = FunctionsProcess.Start(host, workerSettings);
                    workers.Add(late);
                }
                else if (step > 400 && late!.Assigned.IsCompleted)
                {
                    if (step > 400 + 100 && acks.All(a => a.Take(a.Count - 50).All(t => t.IsCompleted)))
                    {
                        break;
                    }
                }
            }

            var accepted = new List<int>[Rooms];
            for (var room = 0; room < Rooms; room++)
            {
                var outcomes = await Task.WhenAll(acks[room]);
                accepted[room] = outcomes.Select((ack, i) => (ack, seq: i + 1)).Where(x => x.ack.Success).Select(x => x.seq).ToList();
            }

            // A last marker per room, after everything else on its partition: a member has seen all it will see once it has the marker.
            for (var room = 0; room < Rooms; room++)
            {
                var marker = await senders[room].SendToGroupAsync(Room(room), "end", cancellationToken: ct);
                Assert.True(marker!.Success, marker.ErrorMessage);
            }

            var members = senders.Select((client, room) => (client, rooms: new[] { room }))
                .Concat(watchers.Select(client => (client, rooms: Enumerable.Range(0, Rooms).ToArray())));
            var delivered = 0;
            var duplicates = 0;
            var orderViolations = 0;
            var missing = 0;
            foreach (var (client, rooms) in members)
            {
                var received = await ReadUntilMarkersAsync(client, rooms.Length, ct);
                foreach (var room in rooms)
                {
                    var seqs = received.TryGetValue(Room(room), out var list) ? list : [];
                    delivered += seqs.Count;
                    duplicates += seqs.Count - seqs.Distinct().Count();
                    orderViolations += seqs.Zip(seqs.Skip(1)).Count(p => p.Second <= p.First);
                    missing += accepted[room].Except(seqs).Count();
                }
            }

            var acceptedTotal = accepted.Sum(a => a.Count);
            var expected = acceptedTotal * (1 + watchers.Length);
            var report = $"sent={sent} accepted={acceptedTotal} expectedDeliveries={expected} delivered={delivered} " +
                $"duplicates={duplicates} orderViolations={orderViolations} missing={missing} " +
                $"redeliveriesDroppedByConnector={connectorMetrics.TotalOverTags("brokerchat.connector.deliveries.duplicate")} workers: 3 started, 1 killed (SIGKILL), 1 started later";
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, report + Environment.NewLine, ct);
            }

            Assert.Equal(sent, acceptedTotal);
            Assert.Equal(0, duplicates);
            Assert.Equal(0, orderViolations);
            Assert.Equal(0, missing);
            Assert.Equal(expected, delivered);

            foreach (var client in senders.Concat(watchers))
            {
                await client.DisposeAsync();
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private static string Room(int room) => $"room{room}";

    /// <summary>Reads a member's messages until it has the end marker of each of its rooms; returns the numbers seen per room, in arrival order.</summary>
    private static async Task<Dictionary<string, List<int>>> ReadUntilMarkersAsync(WebPubSubTestClient client, int rooms, CancellationToken cancellationToken)
    {
        var received = new Dictionary<string, List<int>>();
        var markers = 0;
        while (markers < rooms)
        {
            var message = await client.NextMessageAsync(cancellationToken);
            var group = (string)message["group"]!;
            var data = (string)message["data"]!;
            if (data == "end")
            {
                markers++;
                continue;
            }

            (received.TryGetValue(group, out var list) ? list : received[group] = []).Add(int.Parse(data, CultureInfo.InvariantCulture));
        }

        return received;
    }
}
