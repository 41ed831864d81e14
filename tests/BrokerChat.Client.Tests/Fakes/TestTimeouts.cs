namespace BrokerChat.Client.Tests.Fakes;

/// <summary>Bounds on every wait in these tests.</summary>
public static class TestTimeouts
{
    /// <summary>How long a single wait may take before the test fails.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Waits for <paramref name="task"/> at most <see cref="Wait"/>, or until the test is cancelled.</summary>
    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Wait, TestContext.Current.CancellationToken);

    /// <inheritdoc cref="Within{T}(Task{T})" />
    public static Task Within(this Task task) => task.WaitAsync(Wait, TestContext.Current.CancellationToken);

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; fails after <see cref="Wait"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Wait);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            await poll.WaitForNextTickAsync(timeout.Token);
        }
    }
}
