namespace BrokerChat.Connector.Connections;

/// <summary>
/// A connection's rate limit: a token bucket refilled at a sustained rate up to a burst, and a decaying count of the
/// requests that found it empty, for deciding when to disconnect. A mutable struct held in the connection (no
/// allocation per connection); used only from the connection's receive loop.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private double _overLimit;
    private long _lastRefill;

    /// <summary>A bucket whose refill counts from <paramref name="now"/> (a <see cref="TimeProvider.GetTimestamp"/>); it starts full.</summary>
    public TokenBucket(long now)
    {
        _tokens = double.NaN; // filled to the burst on first use
        _lastRefill = now;
    }

    /// <summary>
    /// Takes one token (<paramref name="ratePerSecond"/> sustained, <paramref name="burst"/> at most). Returns false when
    /// the request is over the limit; <paramref name="overLimit"/> is then the decaying count of such requests.
    /// </summary>
    public bool TryTake(long now, long timestampFrequency, double ratePerSecond, int burst, out double overLimit)
    {
        if (double.IsNaN(_tokens))
        {
            _tokens = burst;
        }

        var refill = (now - _lastRefill) / (double)timestampFrequency * ratePerSecond;
        _lastRefill = now;
        _tokens = Math.Min(burst, _tokens + refill);
        _overLimit = Math.Max(0, _overLimit - refill);
        if (_tokens >= 1)
        {
            _tokens -= 1;
            overLimit = _overLimit;
            return true;
        }

        _overLimit += 1;
        overLimit = _overLimit;
        return false;
    }
}
