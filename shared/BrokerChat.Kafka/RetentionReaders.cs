using System.Collections.Concurrent;

namespace BrokerChat.Kafka;

/// <summary>
/// Who still reads the embedded cluster's topics, so its retention (<see cref="KafkaOptions.EmbeddedRetainedRecords"/>)
/// never trims a record one of them has yet to read. Nothing here asks the brokers: the readers of this process say
/// where they are. A consumer group (<see cref="AddGroup"/>) is told by its members in this process the offset each
/// has finished up to on a partition (<see cref="GroupPositions.Report"/>); a reader that keeps its own positions (a
/// connector's outbound reader, <see cref="AddReader"/>) gives them when asked.
/// </summary>
/// <remarks>
/// A partition of a group that no member of this process has reported on (its members run in another process, or
/// have not been given it yet) has no known position: it is kept whole, up to
/// <see cref="KafkaOptions.EmbeddedRetentionMaxRecords"/>; past that its oldest records go, and they are logged and
/// counted as possibly unread. Readers in another process that are not in a group registered here are not known at
/// all: for them the retention is the plain <see cref="KafkaOptions.EmbeddedRetainedRecords"/>.
/// </remarks>
public sealed class RetentionReaders
{
    /// <summary>The position of a partition no reader of this process knows: the retention keeps it whole.</summary>
    public const long Unknown = -1;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Group, string Topic), GroupPositions> _groups = new();
    private readonly List<Reader> _readers = [];

    /// <summary>
    /// Consumer group <paramref name="groupId"/> reads <paramref name="topic"/>; its members in this process report
    /// their positions to the result. The same group and topic give the same positions.
    /// </summary>
    public GroupPositions AddGroup(string groupId, string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return _groups.GetOrAdd((groupId, topic), key => new GroupPositions(key.Topic));
    }

    /// <summary>
    /// A reader of <paramref name="topic"/> in this process: <paramref name="next"/> gives, for a partition, the offset of
    /// the next record it will read (it has finished every record below), or a negative number when it does not read
    /// that partition. Disposing the result removes it.
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

    /// <summary>
    /// The lowest position the readers of this process give for a partition: <see cref="long.MaxValue"/> when none
    /// reads it, <see cref="Unknown"/> when a group reads it whose position on it is not known here.
    /// </summary>
    internal long SlowestReader(string topic, int partition)
    {
        var slowest = long.MaxValue;
        foreach (var group in _groups.Values)
        {
            if (group.Topic == topic)
            {
                var position = group.Position(partition);
                if (position == Unknown)
                {
                    return Unknown;
                }

                slowest = Math.Min(slowest, position);
            }
        }

        Reader[] readers;
        lock (_gate)
        {
            readers = [.. _readers];
        }

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
