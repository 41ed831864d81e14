namespace BrokerChat.Testing;

/// <summary>Waiting for conditions that other threads make true.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms; fails (cancels) after 30 s.</summary>
    public static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            await poll.WaitForNextTickAsync(timeout.Token).ConfigureAwait(false);
        }
    }
}
