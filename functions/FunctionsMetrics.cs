using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace BrokerChat.Functions;

/// <summary>
/// Metrics of the worker functions, on the meter <c>BrokerChat.Functions</c>:
/// <list type="bullet">
/// <item><c>brokerchat.functions.requests</c>: requests handled, tagged <c>outcome</c> = delivered | acknowledged
/// (their rate is the processed-per-second figure), or skipped unhandled: expired (read after the connector had
/// stopped waiting for its outcome and answered <c>Timeout</c>, <c>InboundFrame.AnswerBy</c>);</item>
/// <item><c>brokerchat.functions.failures</c>: tries that threw (each try counts);</item>
/// <item><c>brokerchat.functions.retries</c>: tries made again after a failure;</item>
/// <item><c>brokerchat.functions.dead_letters</c>: records set aside on the dead-letter topic, tagged <c>reason</c> =
/// failed | invalid;</item>
/// <item><c>brokerchat.functions.poison_records</c>: records that were not valid requests (also dead-lettered);</item>
/// <item><c>brokerchat.functions.delivery_failures</c>: deliveries the brokers did not accept (the partition is read
/// again from its first unfinished record);</item>
/// <item><c>brokerchat.functions.pauses</c>: times a partition's queue was full and its fetching paused;</item>
/// <item><c>brokerchat.functions.lag</c>: per assigned partition (tag <c>partition</c>), records in the partition that
/// this process has not finished: the high watermark minus the next offset to commit;</item>
/// <item><c>brokerchat.functions.event_handler.calls</c>: events posted to hubs' event handlers (webhooks), tagged
/// <c>event</c> = connected | disconnected | user | invoke and <c>outcome</c> = ok (2xx) | refused (another status
/// below 500: the client is told, or the record retried for a system event) | failed (5xx: retried) | unavailable
/// (no answer, a timeout, the abuse-protection check refused, or the circuit open: retried);</item>
/// <item><c>brokerchat.functions.event_handler.duration</c>: how long each of those calls took, in seconds, tagged
/// <c>event</c>.</item>
/// </list>
/// </summary>
public sealed class FunctionsMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BrokerChat.Functions";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _poison;
    private readonly Counter<long> _deliveryFailures;
    private readonly Counter<long> _pauses;
    private readonly Counter<long> _eventHandlerCalls;
    private readonly Histogram<double> _eventHandlerDuration;
    private readonly ConcurrentDictionary<object, Func<IEnumerable<KeyValuePair<int, long>>>> _lagSources = new();

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public FunctionsMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("brokerchat.functions.requests", "{request}", "Requests handled by the functions.");
        _failures = _meter.CreateCounter<long>("brokerchat.functions.failures", "{try}", "Tries of a request that threw.");
        _retries = _meter.CreateCounter<long>("brokerchat.functions.retries", "{try}", "Tries made again after a failure.");
        _deadLetters = _meter.CreateCounter<long>("brokerchat.functions.dead_letters", "{record}", "Records set aside on the dead-letter topic.");
        _poison = _meter.CreateCounter<long>("brokerchat.functions.poison_records", "{record}", "Inbound records that were not valid requests.");
        _deliveryFailures = _meter.CreateCounter<long>("brokerchat.functions.delivery_failures", "{record}", "Deliveries the brokers did not accept.");
        _pauses = _meter.CreateCounter<long>("brokerchat.functions.pauses", "{pause}", "Times a partition's queue was full and its fetching paused.");
        _eventHandlerCalls = _meter.CreateCounter<long>("brokerchat.functions.event_handler.calls", "{call}", "Events posted to hubs' event handlers, by outcome.");
        _eventHandlerDuration = _meter.CreateHistogram<double>("brokerchat.functions.event_handler.duration", "s", "How long a call to a hub's event handler took.");
        _meter.CreateObservableGauge("brokerchat.functions.lag", ObserveLag, "{record}", "Records of an assigned partition not yet finished.");
    }

    /// <summary>Adds a source of per-partition lag (a worker); it is observed until <see cref="RemoveLagSource"/>.</summary>
    internal void AddLagSource(object owner, Func<IEnumerable<KeyValuePair<int, long>>> source) => _lagSources[owner] = source;

    /// <summary>Stops observing a lag source.</summary>
    internal void RemoveLagSource(object owner) => _lagSources.TryRemove(owner, out _);

    internal void Processed(bool delivered) =>
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", delivered ? "delivered" : "acknowledged"));

    internal void Expired() => _requests.Add(1, new KeyValuePair<string, object?>("outcome", "expired"));

    internal void Failed() => _failures.Add(1);

    internal void Retried() => _retries.Add(1);

    internal void DeadLettered(bool invalid) =>
        _deadLetters.Add(1, new KeyValuePair<string, object?>("reason", invalid ? "invalid" : "failed"));

    internal void Poison() => _poison.Add(1);

    internal void DeliveryFailed() => _deliveryFailures.Add(1);

    internal void Paused() => _pauses.Add(1);

    internal void EventHandlerCalled(string eventKind, string outcome, TimeSpan elapsed)
    {
        var kind = new KeyValuePair<string, object?>("event", eventKind);
        _eventHandlerCalls.Add(1, kind, new KeyValuePair<string, object?>("outcome", outcome));
        _eventHandlerDuration.Record(elapsed.TotalSeconds, kind);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var source in _lagSources.Values)
        {
            foreach (var (partition, lag) in source())
            {
                yield return new Measurement<long>(lag, new KeyValuePair<string, object?>("partition", partition));
            }
        }
    }
}
