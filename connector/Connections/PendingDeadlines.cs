namespace BrokerChat.Connector.Connections;

/// <summary>Why a request could not be registered as awaiting its outcome.</summary>
internal enum PendingRefusal
{
    /// <summary>It was registered.</summary>
    None,

    /// <summary>A request with the same id is already pending on the connection.</summary>
    Duplicate,

    /// <summary>The connection has its maximum of pending requests.</summary>
    TooMany,

    /// <summary>The process has its maximum of requests awaiting an outcome (<see cref="ConnectorOptions.MaxAwaitedOutcomes"/>).</summary>
    Busy,
}

/// <summary>
/// A connection's requests awaiting an outcome, each with its deadline (a <see cref="TimeProvider"/> timestamp),
/// bounded per connection and, through <paramref name="shared"/>, across the process. Not thread-safe: the owner
/// locks.
/// </summary>
internal sealed class PendingDeadlines<TKey>(int max, AwaitedOutcomes? shared = null, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, long> _deadlines = new(comparer);

    public int Count => _deadlines.Count;

    /// <summary>Registers <paramref name="key"/>; false, with the reason, when it is already pending or a bound is reached.</summary>
    public bool TryAdd(TKey key, long deadline, out PendingRefusal refusal)
    {
        refusal = _deadlines.Count >= max ? PendingRefusal.TooMany
            : _deadlines.ContainsKey(key) ? PendingRefusal.Duplicate
            : shared?.TryTake() == false ? PendingRefusal.Busy
            : PendingRefusal.None;
        if (refusal != PendingRefusal.None)
        {
            return false;
        }

        _deadlines.Add(key, deadline);
        return true;
    }

    /// <summary>Removes <paramref name="key"/>; true when it was pending.</summary>
    public bool Remove(TKey key)
    {
        if (!_deadlines.Remove(key))
        {
            return false;
        }

        shared?.Return();
        return true;
    }

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

        shared?.Return(expired?.Count ?? 0);
        return expired;
    }

    /// <summary>Drops every pending key (the connection ended).</summary>
    public void Clear()
    {
        shared?.Return(_deadlines.Count);
        _deadlines.Clear();
    }
}
