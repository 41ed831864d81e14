using System.Collections.Concurrent;

namespace BrokerChat.Kafka;

/// <summary>
/// Where a consumer group is on each partition of one topic, as its members in this process report it: the offset it
/// has finished every record below (what it stores for its next commit). Thread-safe.
/// </summary>
public sealed class GroupPositions
{
    private readonly ConcurrentDictionary<int, long> _positions = new();

    internal GroupPositions(string topic) => Topic = topic;

    /// <summary>The topic the group reads.</summary>
    public string Topic { get; }

    /// <summary>
    /// A member finished every record of <paramref name="partition"/> below <paramref name="next"/>. A group's
    /// position only moves forward, so a member that reports an older one (a new owner starting where the commit
    /// was) does not move it back.
    /// </summary>
    public void Report(int partition, long next)
    {
        if (next < 0)
        {
            return;
        }

        _positions.AddOrUpdate(partition, next, (_, before) => Math.Max(before, next));
    }

    /// <summary>The group's position on <paramref name="partition"/>, or <see cref="RetentionReaders.Unknown"/> when no member here reported one.</summary>
    public long Position(int partition) => _positions.TryGetValue(partition, out var next) ? next : RetentionReaders.Unknown;
}
