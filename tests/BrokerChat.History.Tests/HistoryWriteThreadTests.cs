namespace BrokerChat.History.Tests;

/// <summary>The write thread SQLite's writes run on: one at a time, in order, off the thread pool.</summary>
public sealed class HistoryWriteThreadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task WritesAskedForAtOnceRunOneAtATimeInTheirOrderOnOneThreadOutsideThePool()
    {
        var ct = TestContext.Current.CancellationToken;
        using var writes = new HistoryWriteThread("test-write");
        var running = 0;
        var overlapped = false;
        var order = new List<int>();
        var threads = new HashSet<int>();
        var onPool = false;

        var tasks = Enumerable.Range(0, 200).Select(i => writes.RunAsync(async _ =>
        {
            overlapped |= Interlocked.Increment(ref running) > 1;
            lock (order)
            {
                order.Add(i);
                threads.Add(Environment.CurrentManagedThreadId);
                onPool |= Thread.CurrentThread.IsThreadPoolThread;
            }

            Thread.SpinWait(1_000);
            Interlocked.Decrement(ref running);
            await Task.CompletedTask;
            return i;
        }, ct)).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(Timeout, ct);

        Assert.Equal(Enumerable.Range(0, 200), results);
        Assert.Equal(Enumerable.Range(0, 200), order);
        Assert.False(overlapped);
        Assert.Single(threads);
        Assert.False(onPool);
    }

    [Fact(Timeout = 60_000)]
    public async Task AWriteCancelledBeforeItsTurnDoesNotRunAndAFailingWriteFailsOnlyItsCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        using var writes = new HistoryWriteThread("test-write");
        var release = new ManualResetEventSlim();
        var ran = false;
        var blocking = writes.RunAsync(_ =>
        {
            release.Wait(Timeout, _); // holds the thread while the next write is cancelled in the queue
            return Task.FromResult(1);
        }, ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cancelled = writes.RunAsync(_ =>
        {
            ran = true;
            return Task.FromResult(2);
        }, cancel.Token);
        var failing = writes.RunAsync<int>(_ => throw new InvalidOperationException("database refused"), ct);
        var after = writes.RunAsync(_ => Task.FromResult(4), ct);

        await cancel.CancelAsync();
        release.Set();

        Assert.Equal(1, await blocking.WaitAsync(Timeout, ct));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).WaitAsync(Timeout, ct);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failing).WaitAsync(Timeout, ct);
        Assert.Equal("database refused", error.Message);
        Assert.Equal(4, await after.WaitAsync(Timeout, ct));
        Assert.False(ran);
    }
}
