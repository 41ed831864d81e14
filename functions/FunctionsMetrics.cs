using System.Diagnostics.Metrics;

namespace BrokerChat.Functions;

/// <summary>
/// Metrics of the worker functions, on the meter <c>BrokerChat.Functions</c>:
/// <c>brokerchat.functions.requests</c> (requests handled, tagged <c>outcome</c> = delivered | acknowledged),
/// <c>brokerchat.functions.poison_records</c> (records that were not valid requests) and
/// <c>brokerchat.functions.delivery_failures</c> (deliveries the brokers did not accept; the request is retried).
/// </summary>
public sealed class FunctionsMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BrokerChat.Functions";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _poison;
    private readonly Counter<long> _deliveryFailures;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public FunctionsMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("brokerchat.functions.requests", "{request}", "Requests handled by the functions.");
        _poison = _meter.CreateCounter<long>("brokerchat.functions.poison_records", "{record}", "Inbound records that were not valid requests and were skipped.");
        _deliveryFailures = _meter.CreateCounter<long>("brokerchat.functions.delivery_failures", "{record}", "Deliveries the brokers did not accept.");
    }

    internal void Processed(bool delivered) =>
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", delivered ? "delivered" : "acknowledged"));

    internal void Poison() => _poison.Add(1);

    internal void DeliveryFailed() => _deliveryFailures.Add(1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
