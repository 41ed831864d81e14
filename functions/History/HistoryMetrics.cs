using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace BrokerChat.Functions.History;

/// <summary>
/// The history function's instruments, on the functions' meter (<see cref="FunctionsMetrics.MeterName"/>): messages
/// written, repeats skipped, failed batch writes, and the lag of each outbound partition (records read by the
/// outbound topic's producers and not yet written), which grows while the database is slow or down.
/// </summary>
public sealed class HistoryMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _repeats;
    private readonly Counter<long> _failures;
    private readonly ConcurrentDictionary<int, long> _lag = new();

    /// <summary>Creates the instruments.</summary>
    public HistoryMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(FunctionsMetrics.MeterName);
        _written = _meter.CreateCounter<long>("brokerchat.history.written", "{message}", "Group messages written to the history store.");
        _repeats = _meter.CreateCounter<long>("brokerchat.history.repeats", "{message}", "Group messages read again whose id the store held already.");
        _failures = _meter.CreateCounter<long>("brokerchat.history.write_failures", "{batch}", "Batch writes the database refused or did not answer (each is tried again).");
        _meter.CreateObservableGauge("brokerchat.history.lag", ObserveLag, "{record}", "Outbound records of an assigned partition not yet written to the history store.");
    }

    /// <summary>A batch of <paramref name="messages"/> group messages was written, <paramref name="written"/> of them new.</summary>
    public void Written(int messages, int written)
    {
        _written.Add(written);
        if (messages > written)
        {
            _repeats.Add(messages - written);
        }
    }

    /// <summary>A batch write failed.</summary>
    public void WriteFailed() => _failures.Add(1);

    /// <summary>The lag of a partition as last measured, or removed (negative) when the partition went.</summary>
    public void Lag(int partition, long lag)
    {
        if (lag < 0)
        {
            _lag.TryRemove(partition, out _);
        }
        else
        {
            _lag[partition] = lag;
        }
    }

    /// <summary>The lag of every partition, for tests and health checks.</summary>
    public IReadOnlyDictionary<int, long> LagByPartition => _lag;

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveLag() =>
        _lag.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("partition", p.Key)));
}
