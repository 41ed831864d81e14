namespace BrokerChat.Connector.Connections;

/// <summary>
/// Requests of one connection that wait for an answer (acks by ackId, invocations by invocationId), each with the
/// <see cref="TimeProvider.GetTimestamp"/> by which the connector answers it itself, bounded in number. Not
/// thread-safe: the connection guards it.
/// </summary>
internal sealed class PendingDeadlines<TKey>(int max, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, long> _deadlines = new(comparer);

    public int Count => _deadlines.Count;

    /// <summary>Registers <paramref name="key"/>; false when it is already pending or the bound is reached (<paramref name="tooMany"/>).</summary>
    public bool TryAdd(TKey key, long deadline, out bool tooMany)
    {
        tooMany = _deadlines.Count >= max;
        return !tooMany && _deadlines.TryAdd(key, deadline);
    }

    /// <summary>Removes <paramref name="key"/>; true when it was pending.</summary>
    public bool Remove(TKey key) => _deadlines.Remove(key);

    /// <summary>Removes and returns the keys whose deadline passed, or null when none did.</summary>
    public List<TKey>? Expire(long now)
    {
        List<TKey>? expired = null;
        foreach (var (key, deadline) in _deadlines)
        {
            if (deadline <= now)
            {
                (expired ??= []).Add(key);
            }
        }

        foreach (var key in expired ?? [])
        {
            _deadlines.Remove(key);
        }

        return expired;
    }
}
