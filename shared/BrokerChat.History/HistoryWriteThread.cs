using System.Threading.Channels;

namespace BrokerChat.History;

/// <summary>
/// Runs a store's writes one at a time, in the order they were asked for, on a thread of their own: for a database
/// that takes one writer at a time and answers synchronously (SQLite), so that writers queue here instead of each
/// holding a pool thread while it waits for the database's write lock.
/// </summary>
/// <remarks>
/// The queue is bounded (<see cref="Capacity"/>); a caller finding it full waits asynchronously. A write whose token is
/// cancelled before its turn is not run. Disposing lets what is queued finish, then ends the thread.
/// </remarks>
internal sealed class HistoryWriteThread : IDisposable
{
    /// <summary>Writes queued at most: one outstanding batch per partition, with room for changes and trims.</summary>
    public const int Capacity = 1024;

    private readonly Channel<WorkItem> _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Thread _thread;

    public HistoryWriteThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="write"/> on the write thread after every write queued before it.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken token)
    {
        var item = new WorkItem<T>(write, token);
        await _queue.Writer.WriteAsync(item, token).ConfigureAwait(false);
        return await item.Completion.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(30));
    }

    private void Run()
    {
        var reader = _queue.Reader;
        // Ends when the queue is completed (Dispose) and drained.
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                item.Run();
            }
        }
    }

    private abstract class WorkItem
    {
        public abstract void Run();
    }

    private sealed class WorkItem<T>(Func<CancellationToken, Task<T>> write, CancellationToken token) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Completion => _completion.Task;

        public override void Run()
        {
            if (token.IsCancellationRequested)
            {
                _completion.TrySetCanceled(token);
                return;
            }

            try
            {
                // The database answers synchronously, so the whole write runs here, on this thread.
                _completion.TrySetResult(write(token).GetAwaiter().GetResult());
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                _completion.TrySetCanceled(token);
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
        }
    }
}
