using System.Diagnostics.Metrics;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Moderation metrics, on the functions' meter <c>BrokerChat.Functions</c>:
/// <c>brokerchat.functions.moderation.rejections</c> (requests a rule rejected, tagged <c>rule</c> and <c>answer</c> =
/// <c>ack</c> when the sender got an ack error, <c>dropped</c> for a request without ackId) and
/// <c>brokerchat.functions.moderation.tracked_senders</c> (senders whose rate this instance tracks).
/// </summary>
public sealed class ModerationMetrics
{
    private readonly Counter<long> _rejections;

    /// <summary>Creates the instruments on the meter from <paramref name="meterFactory"/>.</summary>
    public ModerationMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(FunctionsMetrics.MeterName);
        _rejections = Meter.CreateCounter<long>("brokerchat.functions.moderation.rejections", "{request}", "Requests a moderation rule rejected.");
    }

    internal Meter Meter { get; }

    internal void Rejected(string rule, bool acknowledged) =>
        _rejections.Add(1, new KeyValuePair<string, object?>("rule", rule), new KeyValuePair<string, object?>("answer", acknowledged ? "ack" : "dropped"));

    internal void ObserveTrackedSenders(Func<int> count) =>
        Meter.CreateObservableGauge("brokerchat.functions.moderation.tracked_senders", count, "{sender}", "Senders whose request rate this instance tracks.");
}
