namespace BrokerChat.Connector.Connections;

/// <summary>
/// The process-wide count of client requests awaiting their outcome (acks and invocation responses), bounded by
/// <see cref="ConnectorOptions.MaxAwaitedOutcomes"/>. Each connection's pending acks and invocations take a place
/// here when registered and give it back however they end (outcome, timeout, the connection's end).
/// </summary>
internal sealed class AwaitedOutcomes(int limit)
{
    private int _count;

    /// <summary>The bound.</summary>
    public int Limit { get; } = limit;

    /// <summary>Requests awaiting their outcome now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a place; false when all are taken.</summary>
    public bool TryTake()
    {
        var count = Volatile.Read(ref _count);
        while (count < Limit)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    /// <summary>Gives back <paramref name="places"/> places.</summary>
    public void Return(int places = 1)
    {
        if (places > 0)
        {
            Interlocked.Add(ref _count, -places);
        }
    }
}
