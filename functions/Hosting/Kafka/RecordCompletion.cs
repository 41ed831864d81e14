namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>Counts down the deliveries made from one request; exactly one caller sees the final outcome.</summary>
/// <param name="deliveries">The deliveries made from the request, each reporting once.</param>
internal sealed class RecordCompletion(int deliveries)
{
    private int _remaining = deliveries;

    /// <summary>One delivery was stored; true for the last one, when none failed before.</summary>
    public bool Succeed() => Interlocked.Decrement(ref _remaining) == 0;

    /// <summary>One delivery failed; true for the first failure only, so the request fails once.</summary>
    public bool Fail() => Interlocked.Exchange(ref _remaining, int.MinValue / 2) > 0;
}
