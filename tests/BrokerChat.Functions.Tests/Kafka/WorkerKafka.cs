using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka.Embedded;
using Confluent.Kafka;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>
/// A Kafka for one worker test: librdkafka's mock cluster in this process with the BrokerChat topics (4 partitions
/// each, under a prefix of the test's own), a producer of inbound records keyed and partitioned as connectors do, and
/// readers of what the worker wrote and committed. Dispose it after every worker using it stopped.
/// </summary>
internal sealed class WorkerKafka : IDisposable
{
    public const int Partitions = 4;
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);
    private readonly EmbeddedKafkaCluster _cluster = new(1);
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly List<IDisposable> _clients = [];

    public WorkerKafka()
    {
        Prefix = $"t{Guid.NewGuid():N}.";
        Topics = new KafkaTopics(Prefix);
        foreach (var topic in Topics.All)
        {
            _cluster.CreateTopic(topic, Partitions);
        }

        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            EnableIdempotence = true,
            LingerMs = 0,
        }).Build();
    }

    public string BootstrapServers => _cluster.BootstrapServers;

    /// <summary>The topic prefix of this test (<c>Kafka:TopicPrefix</c>).</summary>
    public string Prefix { get; }

    public KafkaTopics Topics { get; }

    /// <summary>Produces <paramref name="frame"/> to the inbound topic keyed <paramref name="key"/>; its position.</summary>
    public async Task<TopicPartitionOffset> ProduceAsync(byte[] key, InboundFrame frame, CancellationToken ct, Headers? headers = null)
    {
        var result = await _producer.ProduceAsync(
            Topics.Inbound,
            new Message<byte[], byte[]> { Key = key, Value = ContractSerializer.Serialize(frame), Headers = headers },
            ct);
        Assert.Equal(PartitionKeys.PartitionOf(key, Partitions), result.Partition.Value);
        return result.TopicPartitionOffset;
    }

    /// <summary>Reads every partition of <paramref name="topic"/> from the beginning, for as long as the test runs.</summary>
    public TopicReader Read(string topic)
    {
        var reader = new TopicReader(BootstrapServers, topic, Partitions);
        _clients.Add(reader);
        return reader;
    }

    /// <summary>The offset consumer group <paramref name="groupId"/> committed for an inbound partition, or -1 when none.</summary>
    public long Committed(string groupId, int partition)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = groupId }).Build();
        var offset = consumer.Committed([new TopicPartition(Topics.Inbound, partition)], QueryTimeout).Single().Offset;
        return offset.IsSpecial ? -1 : offset.Value;
    }

    /// <summary>How many records <paramref name="topic"/> holds over all its partitions.</summary>
    public long Count(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = "count" }).Build();
        return Enumerable.Range(0, Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), QueryTimeout))
            .Sum(w => w.High.Value - w.Low.Value);
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _producer.Dispose();
        _cluster.Dispose();
    }
}
