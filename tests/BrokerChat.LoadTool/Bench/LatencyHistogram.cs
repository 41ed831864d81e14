using System.Text.Json.Nodes;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// A log-linear histogram of latencies in microseconds, safe to record into from many threads: exact below 64 µs,
/// then 32 buckets per power of two (about 3 % resolution) up to 2^36 µs. Percentiles report a bucket's midpoint.
/// Load processes send theirs as sparse (index, count) pairs; the orchestrator merges them.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 64;
    private const int SubBuckets = 32;
    private const int MaxExponent = 36;
    private const int BucketCount = Linear + ((MaxExponent - 6) * SubBuckets);
    private readonly long[] _counts = new long[BucketCount];
    private long _max;

    /// <summary>Receipts recorded.</summary>
    public long Count
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                sum += Volatile.Read(ref _counts[i]);
            }

            return sum;
        }
    }

    /// <summary>Records one latency.</summary>
    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[Index(value)]);
        long seen;
        while (value > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, seen) != seen)
        {
        }
    }

    /// <summary>Adds another histogram's counts.</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        _max = Math.Max(_max, other._max);
    }

    /// <summary>The latency at percentile <paramref name="percent"/> (0–100), in milliseconds; NaN when empty.</summary>
    public double PercentileMs(double percent)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percent / 100 * total));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), _max) / 1000.0;
            }
        }

        return _max / 1000.0;
    }

    /// <summary>Percentiles of what was recorded, or null when nothing was.</summary>
    public LatencySummary? Summarize()
    {
        var count = Count;
        return count == 0
            ? null
            : new LatencySummary(count, PercentileMs(50), PercentileMs(90), PercentileMs(99), PercentileMs(99.9), _max / 1000.0);
    }

    /// <summary>Sparse form for sending between processes: [max, index, count, index, count, …].</summary>
    public JsonArray ToJson()
    {
        var array = new JsonArray { _max };
        for (var i = 0; i < BucketCount; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count != 0)
            {
                array.Add(i);
                array.Add(count);
            }
        }

        return array;
    }

    /// <summary>Reads the sparse form.</summary>
    public static LatencyHistogram FromJson(JsonArray? array)
    {
        var histogram = new LatencyHistogram();
        if (array is null || array.Count == 0)
        {
            return histogram;
        }

        histogram._max = (long)array[0]!;
        for (var i = 1; i + 1 < array.Count; i += 2)
        {
            histogram._counts[(int)array[i]!] += (long)array[i + 1]!;
        }

        return histogram;
    }

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var exponent = 63 - (int)long.LeadingZeroCount(value);
        if (exponent >= MaxExponent)
        {
            return BucketCount - 1;
        }

        var sub = (int)(value >> (exponent - 5)) & (SubBuckets - 1);
        return Linear + ((exponent - 6) * SubBuckets) + sub;
    }

    private static double Midpoint(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var exponent = ((index - Linear) / SubBuckets) + 6;
        var sub = (index - Linear) % SubBuckets;
        var width = 1L << (exponent - 5);
        var low = (1L << exponent) + (sub * width);
        return low + (width / 2.0);
    }
}
