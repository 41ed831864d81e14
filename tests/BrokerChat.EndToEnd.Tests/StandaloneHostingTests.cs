using System.Text.Json.Nodes;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Hosts with a different shape than the shared pipeline: no in-process workers, a fake clock, a worker in another process.</summary>
public sealed class StandaloneHostingTests
{
    private const int Timeout = 90_000;

    [Fact(Timeout = Timeout)]
    public async Task RequestWithNoOutcomeWithinTheAckTimeoutGetsATimeoutAckError()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await BrokerChatHost.StartAsync(
            // The Kafka loss check is off: the fake clock jumps ahead of Kafka's confirmations, which come in real time.
            new HostSettings { Functions = { InProcessWorkers = 0 }, Connector = { AckTimeout = TimeSpan.FromSeconds(10) }, ["Connector:KafkaLossTimeout"] = TimeSpan.Zero.ToString() },
            services => services.AddSingleton<TimeProvider>(clock));
        await using var alice = await host.ConnectAsync("timeout", "alice", ct);

        var ack = await alice.SendWithoutWaitingAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["data"] = 1 }, ct);
        await alice.PingAsync(ct); // frames are handled in order: once the pong is back, the ack is pending
        Assert.False(ack.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(9));
        await alice.PingAsync(ct);
        Assert.False(ack.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));

        var outcome = await ack;
        Assert.False(outcome.Success);
        Assert.Equal("Timeout", outcome.ErrorName);
    }

    [Fact(Timeout = Timeout)]
    public async Task AllRecordsOfARoomLandOnOnePartitionAndRoomsSpreadOverPartitions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });
        var producer = host.Services.GetRequiredService<KafkaProducerHost>().Producer;
        var topic = host.Services.GetRequiredService<KafkaEndpoint>().Topics.Inbound;

        var partitionsByRoom = new Dictionary<string, HashSet<int>>();
        for (var room = 0; room < 12; room++)
        {
            for (var i = 0; i < 5; i++)
            {
                var result = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = PartitionKeys.Room(i % 2 == 0 ? "Chat" : "chat", $"room-{room}"), Value = [1] }, ct);
                (partitionsByRoom.TryGetValue($"room-{room}", out var set) ? set : partitionsByRoom[$"room-{room}"] = []).Add(result.Partition.Value);
            }
        }

        Assert.All(partitionsByRoom.Values, partitions => Assert.Single(partitions));
        Assert.True(partitionsByRoom.Values.Select(p => p.Single()).Distinct().Count() > 1);
    }

    [Fact(Timeout = Timeout)]
    public async Task WorkerProcessJoinsTheEmbeddedKafkaOfAConnectorProcessAndDeliversItsMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });
        await using var worker = FunctionsProcess.Start(host);
        await worker.Assigned.WaitAsync(TimeSpan.FromSeconds(60), ct);

        await using var alice = await host.ConnectAsync("remote", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        var ack = await alice.SendToGroupAsync("g", "via another process", cancellationToken: ct);

        Assert.True(ack!.Success, ack.ErrorMessage);
        Assert.Equal("via another process", (string?)(await alice.NextMessageAsync(ct))["data"]);
    }
}
