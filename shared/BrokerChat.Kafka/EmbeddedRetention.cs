using Confluent.Kafka;
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
/// <remarks>
/// The readers' positions come from this process (<see cref="RetentionReaders"/>), never from an admin request: the
/// committed-offset request of the admin client aborts the process inside librdkafka when the brokers go down while
/// it is under way. The only requests a pass makes are the log ends of each partition (a consumer's watermark
/// query), which fail with an error while the brokers are down, and the pass is tried again a second later.
/// </remarks>
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
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, cancellationToken).ConfigureAwait(false);
                var done = true;
                foreach (var partition in partitions)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!Trim(consumer, partition))
                    {
                        done = false; // the brokers are down or stopping: the next pass tries again
                        break;
                    }
                }

                metrics.RetentionPass(done);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException or ObjectDisposedException)
            {
                // The cluster is stopping or busy; try again on the next pass.
                metrics.RetentionPass(done: false);
                KafkaLog.RetentionPassFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Trims one partition as far as its readers allow; false when its log ends could not be read.</summary>
    private bool Trim(IConsumer<Ignore, Ignore> consumer, TopicPartition partition)
    {
        WatermarkOffsets offsets;
        try
        {
            offsets = consumer.QueryWatermarkOffsets(partition, RequestTimeout);
        }
        catch (KafkaException)
        {
            return false;
        }

        var (low, high) = (offsets.Low.Value, offsets.High.Value);
        // A group whose position here is unknown may still have to read the whole partition.
        var slowest = readers.SlowestReader(partition.Topic, partition.Partition.Value) is var known && known == RetentionReaders.Unknown ? low : known;
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

        return true;
    }
}
