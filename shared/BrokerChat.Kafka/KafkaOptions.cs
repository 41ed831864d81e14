using System.ComponentModel.DataAnnotations;
using BrokerChat.Contracts.Topics;
using Microsoft.Extensions.Configuration;

namespace BrokerChat.Kafka;

/// <summary>
/// Kafka settings, bound from the <c>Kafka</c> configuration section. Every default is chosen for chat latency
/// and stated here; <see cref="ClientSettings"/> passes any other librdkafka property through (security, SASL).
/// </summary>
public sealed class KafkaOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Kafka";

    /// <summary>
    /// Comma-separated <c>host:port</c> list. The default (empty) hosts an embedded Kafka-protocol cluster inside
    /// this process and prints its address as <c>Kafka bootstrap servers: &lt;list&gt;</c>.
    /// </summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Partitions per topic when BrokerChat creates its topics. The default is 12.</summary>
    [Range(1, 10_000)]
    public int Partitions { get; set; } = 12;

    /// <summary>
    /// Replication factor for topics BrokerChat creates on an external cluster; -1 uses the broker's default.
    /// The default is -1. (The embedded cluster always uses 1.)
    /// </summary>
    [Range(-1, 32)]
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>Prefix of every topic name, so deployments can share a cluster. The default is <c>brokerchat.</c>.</summary>
    [RegularExpression(@"^[A-Za-z0-9._-]{0,200}$")]
    public string TopicPrefix { get; set; } = KafkaTopics.DefaultPrefix;

    /// <summary>Whether missing topics are created at startup. The default is true; turn it off where the
    /// platform manages topics (Azure Event Hubs has no topic admin API).</summary>
    public bool CreateTopics { get; set; } = true;

    /// <summary>Brokers in the embedded cluster. The default is 3.</summary>
    [Range(1, 10)]
    public int EmbeddedBrokers { get; set; } = 3;

    /// <summary>
    /// Records the embedded cluster keeps per partition; older ones are dropped every second, as retention would,
    /// but never one that a known reader has yet to read (the functions' and the history's consumer groups by their
    /// committed offsets, this process's connector by its positions; see <see cref="RetentionReaders"/>), up to
    /// <see cref="EmbeddedRetentionMaxRecords"/>. The embedded cluster finds a fetch's position by walking a
    /// partition's stored batches, so a short log keeps every fetch cheap; it must cover the records a starting
    /// connector reads back (<c>Connector:RoomHistoryWarmupRecords</c>). The default is 5,000; 0 keeps the cluster's
    /// own limit (about 5 MiB or 100,000 batches per partition).
    /// </summary>
    [Range(0, 10_000_000)]
    public int EmbeddedRetainedRecords { get; set; } = 5_000;

    /// <summary>
    /// The most records the embedded cluster keeps per partition for a reader that lags (plus a tenth of
    /// <see cref="EmbeddedRetainedRecords"/>): a reader further behind loses its oldest records, and they are logged
    /// and counted (<c>brokerchat.kafka.embedded.trimmed_unread</c>), so a stuck reader cannot grow memory and fetch
    /// cost without bound. The cluster's own limit (about 5 MiB per partition) still applies first when records are
    /// large. The default is 20,000; 0 means only the cluster's own limit. Must be 0 or at least
    /// <see cref="EmbeddedRetainedRecords"/>.
    /// </summary>
    [Range(0, 10_000_000)]
    public int EmbeddedRetentionMaxRecords { get; set; } = 20_000;

    /// <summary>
    /// Producer <c>linger.ms</c>: how long a producer waits to batch. The default is 1 ms: a chat message is
    /// sent almost at once, while bursts still batch.
    /// </summary>
    [Range(0, 1000)]
    public double LingerMs { get; set; } = 1;

    /// <summary>
    /// Consumer <c>fetch.wait.max.ms</c>. Real brokers answer a fetch as soon as data arrives, so there it only
    /// bounds idle polling; the embedded cluster always waits the full time, so there it is the latency of a hop.
    /// The default is 10 ms with the embedded cluster and 100 ms otherwise.
    /// </summary>
    [Range(1, 10_000)]
    public int? FetchWaitMaxMs { get; set; }

    /// <summary>Producer <c>message.timeout.ms</c>: how long a produce may take before it fails. The default is 30,000 ms.</summary>
    [Range(1000, 900_000)]
    public int MessageTimeoutMs { get; set; } = 30_000;

    /// <summary>
    /// Consumer group protocol of the functions: <c>consumer</c> (KIP-848, fast rebalances; Kafka 4.0+ and the
    /// embedded cluster) or <c>classic</c> (older brokers, Event Hubs). The default is <c>consumer</c>.
    /// </summary>
    [RegularExpression("^(consumer|classic)$")]
    public string GroupProtocol { get; set; } = "consumer";

    /// <summary>Extra librdkafka properties applied to every client last (e.g. <c>security.protocol</c>,
    /// <c>sasl.mechanism</c>, <c>sasl.username</c>, <c>sasl.password</c>). The default is none.</summary>
    public Dictionary<string, string> ClientSettings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True when no bootstrap servers are configured and the process hosts the embedded cluster.</summary>
    public bool IsEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);

    /// <summary>Whether <paramref name="configuration"/> leaves the bootstrap servers unset (a local run), read before the options are bound.</summary>
    public static bool IsEmbeddedIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.IsNullOrWhiteSpace(configuration[$"{SectionName}:{nameof(BootstrapServers)}"]);
    }

    /// <summary>The effective <c>fetch.wait.max.ms</c>.</summary>
    public int EffectiveFetchWaitMaxMs => FetchWaitMaxMs ?? (IsEmbedded ? 10 : 100);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EmbeddedRetentionMaxRecords > 0 && EmbeddedRetentionMaxRecords < EmbeddedRetainedRecords)
        {
            yield return new ValidationResult(
                $"Kafka:EmbeddedRetentionMaxRecords ({EmbeddedRetentionMaxRecords}) must be 0 or at least Kafka:EmbeddedRetainedRecords ({EmbeddedRetainedRecords}).",
                [nameof(EmbeddedRetentionMaxRecords)]);
        }
    }
}
