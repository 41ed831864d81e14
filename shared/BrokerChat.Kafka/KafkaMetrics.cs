using System.Diagnostics.Metrics;

namespace BrokerChat.Kafka;

/// <summary>
/// Metrics of the Kafka plumbing, on the meter <c>BrokerChat.Kafka</c>:
/// <list type="table">
/// <item><term>brokerchat.kafka.embedded.trimmed_unread</term><description>counter, tag <c>topic</c>: records the embedded cluster dropped before its slowest known reader read them (that reader was more than <c>Kafka:EmbeddedRetentionMaxRecords</c> behind, or the cluster's own limit of about 5 MiB per partition came first)</description></item>
/// <item><term>brokerchat.kafka.embedded.retention_passes</term><description>counter, tag <c>outcome</c>: passes of the embedded cluster's retention over every partition, done, or failed (the brokers did not answer, as while they are down; tried again a second later)</description></item>
/// </list>
/// </summary>
public sealed class KafkaMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BrokerChat.Kafka";

    private readonly Meter _meter;
    private readonly Counter<long> _trimmedUnread;
    private readonly Counter<long> _retentionPasses;

    /// <summary>Creates the instruments, on a meter of <paramref name="meterFactory"/> when there is one.</summary>
    public KafkaMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _trimmedUnread = _meter.CreateCounter<long>("brokerchat.kafka.embedded.trimmed_unread", "{record}", "Records the embedded cluster dropped before its slowest known reader read them.");
        _retentionPasses = _meter.CreateCounter<long>("brokerchat.kafka.embedded.retention_passes", "{pass}", "Passes of the embedded cluster's retention, by outcome.");
    }

    /// <summary>Counts records dropped unread.</summary>
    internal void TrimmedUnread(string topic, long count) => _trimmedUnread.Add(count, new KeyValuePair<string, object?>("topic", topic));

    /// <summary>Counts a retention pass, done or failed.</summary>
    internal void RetentionPass(bool done) => _retentionPasses.Add(1, new KeyValuePair<string, object?>("outcome", done ? "done" : "failed"));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
