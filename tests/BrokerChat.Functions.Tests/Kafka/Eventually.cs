namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>Waiting for conditions that the worker's threads make true.</summary>
internal static class Eventually
{
    /// <summary>Checks <paramref name="condition"/> every 10 ms; fails, saying <paramref name="what"/>, after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {timeout.TotalSeconds:0.#} s: {what}.");
            }

            await poll.WaitForNextTickAsync(ct);
        }
    }

    /// <summary>Waits for <paramref name="task"/>; fails, saying <paramref name="what"/>, after <paramref name="timeout"/>.</summary>
    public static async Task CompletesAsync(Task task, TimeSpan timeout, string what, CancellationToken ct)
    {
        try
        {
            await task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Not within {timeout.TotalSeconds:0.#} s: {what}.");
        }
    }
}
