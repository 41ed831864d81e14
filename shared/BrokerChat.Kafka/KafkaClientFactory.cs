using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Kafka;

/// <summary>
/// Builds every Kafka client of the process with the same settings, so the latency and safety choices are made
/// once and documented here.
/// </summary>
/// <remarks>
/// Producers: <c>acks=all</c> and idempotence on, so a retried produce can neither duplicate nor reorder
/// records of a partition; <c>linger.ms</c> from <see cref="KafkaOptions.LingerMs"/>; the <c>murmur2_random</c>
/// partitioner, which maps a key to the same partition as the Java client does; Nagle off. Consumers:
/// <c>fetch.min.bytes=1</c> and <c>fetch.wait.max.ms</c> from <see cref="KafkaOptions.EffectiveFetchWaitMaxMs"/>,
/// so a fetch returns as soon as a record exists. <see cref="KafkaOptions.ClientSettings"/> is applied last.
/// </remarks>
public sealed class KafkaClientFactory(KafkaEndpoint endpoint, IOptions<KafkaOptions> options, ILoggerFactory loggerFactory)
{
    private readonly KafkaOptions _options = options.Value;
    private readonly ILogger _librdkafka = loggerFactory.CreateLogger("BrokerChat.Kafka.Librdkafka");

    /// <summary>The topic names.</summary>
    public Contracts.Topics.KafkaTopics Topics => endpoint.Topics;

    /// <summary>The options in force.</summary>
    public KafkaOptions Options => _options;

    /// <summary>Settings for a producer.</summary>
    public ProducerConfig ProducerConfig(string clientId)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = endpoint.BootstrapServers,
            ClientId = clientId,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = _options.LingerMs,
            MessageTimeoutMs = _options.MessageTimeoutMs,
            Partitioner = Partitioner.Murmur2Random,
            SocketNagleDisable = true,
            // The local queue is bounded; a full queue surfaces as Local_QueueFull, which callers turn into
            // backpressure or an error, never into unbounded buffering.
            QueueBufferingMaxMessages = 100_000,
            QueueBufferingMaxKbytes = 64 * 1024,
        };
        Apply(config);
        return config;
    }

    /// <summary>
    /// Settings for a consumer; <paramref name="groupId"/> is required by librdkafka even when partitions are assigned
    /// by hand. <paramref name="customize"/> runs before <see cref="KafkaOptions.ClientSettings"/> is applied.
    /// </summary>
    public ConsumerConfig ConsumerConfig(string clientId, string groupId, Action<ConsumerConfig>? customize = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = endpoint.BootstrapServers,
            ClientId = clientId,
            GroupId = groupId,
            FetchWaitMaxMs = _options.EffectiveFetchWaitMaxMs,
            FetchMinBytes = 1,
            SocketNagleDisable = true,
            EnablePartitionEof = false,
            AutoOffsetReset = AutoOffsetReset.Latest,
        };
        customize?.Invoke(config);
        Apply(config);
        return config;
    }

    /// <summary>
    /// Settings for an admin client. Takes the bootstrap servers explicitly because it is used while the cluster is
    /// being made ready, before <see cref="KafkaEndpoint.BootstrapServers"/> is known to everyone else.
    /// </summary>
    public AdminClientConfig AdminConfig(string bootstrapServers)
    {
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers };
        Apply(config);
        return config;
    }

    /// <summary>Routes librdkafka's own log lines to the logger.</summary>
    public void Log(LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        KafkaLog.Librdkafka(_librdkafka, level, message.Name, message.Facility, message.Message);
    }

    private void Apply(ClientConfig config)
    {
        foreach (var (key, value) in _options.ClientSettings)
        {
            config.Set(key, value);
        }
    }
}
