namespace BrokerChat.Kafka;

/// <summary>
/// Who still reads the embedded cluster's topics, so its retention (<see cref="KafkaOptions.EmbeddedRetainedRecords"/>)
/// never trims a record one of them has yet to read: consumer groups, by their committed offsets (a group with no
/// commit on a partition reads it from the earliest record, so nothing there is trimmed), and readers of this process
/// that keep their own positions (a connector's outbound reader), by the positions they report. Only a reader stuck
/// past <see cref="KafkaOptions.EmbeddedRetentionMaxRecords"/> loses records, which are logged and counted. Readers in
/// another process without a consumer group are not known here.
/// </summary>
public sealed class RetentionReaders
{
    private readonly Lock _gate = new();
    private readonly HashSet<(string Group, string Topic)> _groups = [];
    private readonly List<Reader> _readers = [];

    /// <summary>Consumer group <paramref name="groupId"/> reads <paramref name="topic"/> and commits its positions. Idempotent.</summary>
    public void AddGroup(string groupId, string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        lock (_gate)
        {
            _groups.Add((groupId, topic));
        }
    }

    /// <summary>
    /// A reader of <paramref name="topic"/> in this process: <paramref name="next"/> gives, for a partition, the offset of
    /// the next record it will read (it has finished every record below). Disposing the result removes it.
    /// </summary>
    public IDisposable AddReader(string topic, Func<int, long> next)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(next);
        var reader = new Reader(this, topic, next);
        lock (_gate)
        {
            _readers.Add(reader);
        }

        return reader;
    }

    /// <summary>The groups and the topic each reads.</summary>
    internal IReadOnlyList<(string Group, string Topic)> Groups
    {
        get
        {
            lock (_gate)
            {
                return [.. _groups];
            }
        }
    }

    /// <summary>The lowest position the readers of this process report for a partition; <see cref="long.MaxValue"/> when none reads it.</summary>
    internal long SlowestReader(string topic, int partition)
    {
        Reader[] readers;
        lock (_gate)
        {
            readers = [.. _readers];
        }

        var slowest = long.MaxValue;
        foreach (var reader in readers)
        {
            if (reader.Topic == topic && reader.Next(partition) is >= 0 and var next)
            {
                slowest = Math.Min(slowest, next);
            }
        }

        return slowest;
    }

    private sealed class Reader(RetentionReaders owner, string topic, Func<int, long> next) : IDisposable
    {
        public string Topic { get; } = topic;

        public Func<int, long> Next { get; } = next;

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._readers.Remove(this);
            }
        }
    }
}
