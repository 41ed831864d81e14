using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Kafka;

/// <summary>
/// The embedded cluster's retention: once a second it trims each partition to the newest
/// <see cref="KafkaOptions.EmbeddedRetainedRecords"/> records (in steps of a tenth), but never past a record a known
/// reader (<see cref="RetentionReaders"/>) has yet to read, unless the partition would then hold more than
/// <see cref="KafkaOptions.EmbeddedRetentionMaxRecords"/>: then the stuck reader's oldest records go, and they are
/// logged and counted (<see cref="KafkaMetrics"/>), as are records the cluster dropped itself (its own limit of
/// about 5 MiB per partition) before a reader read them.
/// </summary>
internal sealed class EmbeddedRetention(
    ILocalKafkaCluster cluster,
    KafkaEndpoint endpoint,
    KafkaClientFactory factory,
    RetentionReaders readers,
    KafkaMetrics metrics,
    TimeProvider clock,
    ILogger logger)
{
    /// <summary>How often the partitions are looked at.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A group with no commit on a partition reads it from the earliest record it still has.</summary>
    private const long FromEarliest = -1;

    private readonly KafkaOptions _options = factory.Options;
    private readonly Dictionary<TopicPartition, long> _lossCountedTo = [];

    /// <summary>
    /// Where to trim a partition (<see cref="ILocalKafkaCluster.DeleteRecordsBefore"/>), or -1 to leave it: the newest
    /// <paramref name="retained"/> records stay, and nothing at or past <paramref name="slowest"/> (the slowest
    /// reader's next record) goes, unless more than <paramref name="max"/> (0: no bound) would then stay.
    /// </summary>
    internal static long TrimPoint(long low, long high, long slowest, int retained, int max)
    {
        var point = Math.Min(high - retained, slowest);
        if (max > 0)
        {
            point = Math.Max(point, high - max);
        }

        return point - low >= Math.Max(1, retained / 10) ? point : -1;
    }

    /// <summary>Trims every partition once a second until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var partitions = endpoint.Topics.All
            .SelectMany(topic => Enumerable.Range(0, _options.Partitions).Select(p => new TopicPartition(topic, p)))
            .ToList();
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(factory.ConsumerConfig("brokerchat-embedded-retention", "brokerchat-embedded-retention"))
            .SetLogHandler((_, message) => factory.Log(message))
            .Build();
        using var admin = new AdminClientBuilder(factory.AdminConfig(endpoint.BootstrapServers))
            .SetLogHandler((_, message) => factory.Log(message))
            .Build();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, cancellationToken).ConfigureAwait(false);
                var committed = await CommittedAsync(admin, cancellationToken).ConfigureAwait(false);
                foreach (var partition in partitions)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Trim(consumer, partition, committed);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException or ObjectDisposedException)
            {
                // The cluster is stopping or busy; try again on the next pass.
                KafkaLog.RetentionPassFailed(logger, ex.Message);
            }
        }
    }

    private void Trim(IConsumer<Ignore, Ignore> consumer, TopicPartition partition, Dictionary<TopicPartition, long> committed)
    {
        WatermarkOffsets offsets;
        try
        {
            offsets = consumer.QueryWatermarkOffsets(partition, RequestTimeout);
        }
        catch (KafkaException)
        {
            return; // The cluster is stopping or busy; try again on the next pass.
        }

        var (low, high) = (offsets.Low.Value, offsets.High.Value);
        var slowest = readers.SlowestReader(partition.Topic, partition.Partition.Value);
        if (committed.TryGetValue(partition, out var group))
        {
            slowest = Math.Min(slowest, group == FromEarliest ? low : group);
        }

        var point = TrimPoint(low, high, slowest, _options.EmbeddedRetainedRecords, _options.EmbeddedRetentionMaxRecords);
        if (point > low && cluster.DeleteRecordsBefore(partition.Topic, partition.Partition.Value, point))
        {
            low = point;
        }

        if (slowest < low)
        {
            var counted = _lossCountedTo.GetValueOrDefault(partition, 0);
            var lost = low - Math.Max(slowest, counted);
            if (lost > 0)
            {
                _lossCountedTo[partition] = low;
                metrics.TrimmedUnread(partition.Topic, lost);
                KafkaLog.TrimmedUnread(logger, lost, partition.Topic, partition.Partition.Value, slowest, high - slowest, _options.EmbeddedRetentionMaxRecords);
            }
        }
    }

    /// <summary>
    /// The lowest committed offset of the known groups per partition (<see cref="FromEarliest"/> where a group has none);
    /// a group whose offsets cannot be read holds its whole topic this pass.
    /// </summary>
    private async Task<Dictionary<TopicPartition, long>> CommittedAsync(IAdminClient admin, CancellationToken cancellationToken)
    {
        var lowest = new Dictionary<TopicPartition, long>();
        foreach (var (group, topic) in readers.Groups)
        {
            var partitions = Enumerable.Range(0, _options.Partitions).Select(p => new TopicPartition(topic, p)).ToList();
            List<TopicPartitionOffsetError> offsets;
            try
            {
                var results = await admin.ListConsumerGroupOffsetsAsync(
                    [new ConsumerGroupTopicPartitions(group, partitions)],
                    new ListConsumerGroupOffsetsOptions { RequestTimeout = RequestTimeout }).WaitAsync(cancellationToken).ConfigureAwait(false);
                offsets = results.SelectMany(r => r.Partitions).ToList();
            }
            catch (KafkaException ex)
            {
                KafkaLog.CommittedUnknown(logger, group, ex.Error.Reason);
                offsets = partitions.Select(p => new TopicPartitionOffsetError(p, Offset.Unset, ex.Error)).ToList();
            }

            foreach (var offset in offsets)
            {
                var position = offset.Error.IsError || offset.Offset.IsSpecial ? FromEarliest : offset.Offset.Value;
                lowest[offset.TopicPartition] = lowest.TryGetValue(offset.TopicPartition, out var other) ? Lowest(other, position) : position;
            }
        }

        return lowest;
    }

    private static long Lowest(long a, long b) => a == FromEarliest || b == FromEarliest ? FromEarliest : Math.Min(a, b);
}
