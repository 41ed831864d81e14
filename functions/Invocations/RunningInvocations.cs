using System.Collections.Concurrent;

namespace BrokerChat.Functions.Invocations;

/// <summary>
/// The invocations this process is running, so a client's <c>cancelInvocation</c> can cancel the handler's token. A
/// worker that reads a cancel record calls <see cref="Cancel"/>; the hub dispatcher registers each invocation it runs.
/// Entries live only while their handler runs, so the table holds at most the records in flight.
/// </summary>
public sealed class RunningInvocations
{
    private readonly ConcurrentDictionary<(string ConnectionId, string InvocationId), CancellationTokenSource> _running = new();

    /// <summary>How many invocations are running.</summary>
    public int Count => _running.Count;

    /// <summary>
    /// A token cancelled with <paramref name="cancellationToken"/> or by a cancel of the invocation; dispose the
    /// registration when the handler returns. A repeat of a running invocation shares nothing with it.
    /// </summary>
    public Registration Register(string connectionId, string invocationId, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var key = (connectionId, invocationId);
        return _running.TryAdd(key, source) ? new Registration(this, key, source) : new Registration(null, key, source);
    }

    /// <summary>Cancels the invocation when it is running here; false when it is not (finished, or run elsewhere).</summary>
    public bool Cancel(string connectionId, string invocationId)
    {
        if (!_running.TryGetValue((connectionId, invocationId), out var source))
        {
            return false;
        }

        try
        {
            source.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it finished meanwhile
        }
    }

    /// <summary>One running invocation's token; disposing it removes the entry.</summary>
    public readonly struct Registration : IDisposable
    {
        private readonly RunningInvocations? _owner;
        private readonly (string, string) _key;
        private readonly CancellationTokenSource _source;

        internal Registration(RunningInvocations? owner, (string, string) key, CancellationTokenSource source)
        {
            _owner = owner;
            _key = key;
            _source = source;
        }

        /// <summary>Cancelled by the caller's token or by a cancel of the invocation.</summary>
        public CancellationToken Token => _source.Token;

        /// <inheritdoc />
        public void Dispose()
        {
            _owner?._running.TryRemove(new KeyValuePair<(string, string), CancellationTokenSource>(_key, _source));
            _source.Dispose();
        }
    }
}
