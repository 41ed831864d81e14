using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.History;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using System.Text;

namespace BrokerChat.History.Tests;

/// <summary>
/// An outbound topic on librdkafka's mock cluster in this process (4 partitions, a prefix of the test's own), a
/// producer of deliveries keyed by room as the functions produce them, and history functions hosted on it.
/// </summary>
internal sealed class HistoryKafka : IDisposable
{
    public const int Partitions = 4;
    private readonly EmbeddedKafkaCluster _cluster = new(1);
    private readonly IProducer<byte[], byte[]> _producer;

    public HistoryKafka()
    {
        Prefix = $"h{Guid.NewGuid():N}."[..18];
        Topics = new KafkaTopics(Prefix);
        foreach (var topic in Topics.All)
        {
            _cluster.CreateTopic(topic, Partitions);
        }

        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers, LingerMs = 5 }).Build();
    }

    public string Prefix { get; }

    public KafkaTopics Topics { get; }

    /// <summary>A client's group message as the functions deliver it.</summary>
    public static Delivery Message(string group, string id, string text, string hub = "hub", string? user = "alice") => new()
    {
        Target = DeliveryTarget.Group,
        Hub = hub,
        Group = group,
        MessageId = id,
        DataType = DataType.Text,
        Payload = Encoding.UTF8.GetBytes(text),
        ProducedAt = 1_700_000_000_000,
        FromUserId = user,
    };

    /// <summary>Produces deliveries to the outbound topic, keyed by their room, and waits for Kafka to take them.</summary>
    public async Task ProduceAsync(IEnumerable<Delivery> deliveries, CancellationToken ct)
    {
        var sends = deliveries.Select(d => _producer.ProduceAsync(Topics.Outbound, new Message<byte[], byte[]>
        {
            Key = PartitionKeys.Room(d.Hub, d.Group ?? ""),
            Value = ContractSerializer.Serialize(d),
        }, ct));
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    /// <summary>Starts a host running only the history function, with <paramref name="history"/>'s database and settings.</summary>
    public async Task<IHost> StartAsync(HistoryOptions history, CancellationToken ct, string groupId = "history", Action<Dictionary<string, string?>>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var values = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = _cluster.BootstrapServers,
            ["Kafka:TopicPrefix"] = Prefix,
            ["Kafka:CreateTopics"] = "false",
            ["Kafka:FetchWaitMaxMs"] = "10",
            ["History:Enabled"] = "true",
            ["History:Provider"] = history.Provider.ToString(),
            ["History:ConnectionString"] = history.ConnectionString,
            ["History:GroupId"] = groupId,
            ["History:RetryDelay"] = "00:00:00.050",
            ["History:MaxRetryDelay"] = "00:00:00.200",
        };
        settings?.Invoke(values);
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddLogging();
        builder.Services.AddBrokerChatKafka(builder.Configuration);
        builder.Services.AddBrokerChatHistoryFunction(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var worker = host.Services.GetRequiredService<HistoryWorker>();
        await Waits.UntilAsync(() => worker.AssignedPartitions.Count == Partitions, "the history function owns every partition", ct);
        return host;
    }

    public void Dispose()
    {
        _producer.Dispose();
        _cluster.Dispose();
    }
}

/// <summary>Waiting for what the history function's threads make true.</summary>
internal static class Waits
{
    public static async Task UntilAsync(Func<bool> condition, string what, CancellationToken ct, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {seconds} s: {what}.");
            }

            await poll.WaitForNextTickAsync(ct);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!await condition().WaitAsync(TimeSpan.FromSeconds(seconds), ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {seconds} s: {what}.");
            }

            await poll.WaitForNextTickAsync(ct);
        }
    }
}
