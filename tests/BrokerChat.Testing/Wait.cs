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

    /// <summary>Polls <paramref name="condition"/> (a probe, such as an HTTP call) every 50 ms; fails (cancels) after <paramref name="limit"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!await condition().WaitAsync(timeout.Token).ConfigureAwait(false))
        {
            await poll.WaitForNextTickAsync(timeout.Token).ConfigureAwait(false);
        }
    }
}
