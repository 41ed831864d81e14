using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BrokerChat.Connector;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Sums the counters of one meter (the connector's by default) of one host (meters are told apart by the host's meter factory).</summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();
    private readonly ConcurrentDictionary<string, long> _observed = new();

    public MetricsRecorder(IServiceProvider services, string meterName = ConnectorMetrics.MeterName)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            if (instrument.IsObservable)
            {
                _observed[key] = value;
            }
            else
            {
                _totals.AddOrUpdate(key, value, (_, total) => total + value);
            }
        });
        _listener.Start();
    }

    /// <summary>The total of a counter, optionally for one <c>reason</c> tag value.</summary>
    public long Total(string name, string? reason = null) =>
        _totals.TryGetValue(reason is null ? name : $"{name}|reason={reason}", out var total) ? total : 0;

    /// <summary>The total of a counter over all its measurements, whatever their tags.</summary>
    public long TotalOverTags(string name) =>
        _totals.Where(t => t.Key == name || t.Key.StartsWith(name + "|", StringComparison.Ordinal)).Sum(t => t.Value);

    /// <summary>The total of a counter over the measurements that carry the tag <paramref name="tag"/> = <paramref name="value"/>, whatever their other tags.</summary>
    public long Sum(string name, string tag, string value) =>
        _totals.Where(t => t.Key.StartsWith(name + "|", StringComparison.Ordinal) && t.Key.Split('|').Contains($"{tag}={value}")).Sum(t => t.Value);

    /// <summary>The current value of an observable gauge for one tag (<c>name|tag=value</c>), or null when it reports none.</summary>
    public long? Observe(string name, string tag, object value)
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        return _observed.TryGetValue($"{name}|{tag}={value}", out var observed) ? observed : null;
    }

    /// <summary>The sum of an observable gauge's current values over all its tags (e.g. every partition's), or null when it reports none.</summary>
    public long? ObserveSum(string name)
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        var values = _observed.Where(o => o.Key == name || o.Key.StartsWith(name + "|", StringComparison.Ordinal)).Select(o => o.Value).ToList();
        return values.Count == 0 ? null : values.Sum();
    }

    public void Dispose() => _listener.Dispose();
}
