using System.Diagnostics.Metrics;

namespace BrokerChat.Kafka;

/// <summary>
/// Metrics of the Kafka plumbing, on the meter <c>BrokerChat.Kafka</c>:
/// <list type="table">
/// <item><term>brokerchat.kafka.embedded.trimmed_unread</term><description>counter, tag <c>topic</c>: records the embedded cluster dropped before its slowest known reader read them (that reader was more than <c>Kafka:EmbeddedRetentionMaxRecords</c> behind, or the cluster's own limit of about 5 MiB per partition came first)</description></item>
/// </list>
/// </summary>
public sealed class KafkaMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BrokerChat.Kafka";

    private readonly Meter _meter;
    private readonly Counter<long> _trimmedUnread;

    /// <summary>Creates the instruments, on a meter of <paramref name="meterFactory"/> when there is one.</summary>
    public KafkaMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _trimmedUnread = _meter.CreateCounter<long>("brokerchat.kafka.embedded.trimmed_unread", "{record}", "Records the embedded cluster dropped before its slowest known reader read them.");
    }

    /// <summary>Counts records dropped unread.</summary>
    internal void TrimmedUnread(string topic, long count) => _trimmedUnread.Add(count, new KeyValuePair<string, object?>("topic", topic));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
