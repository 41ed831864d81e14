using System.Net.WebSockets;

namespace BrokerChat.Client;

/// <summary>
/// One WebSocket of a <see cref="BrokerChatClient"/>: the socket, its lifetime token (cancelled when its receive loop
/// ends) and the keep-alive and sequence-ack loops that run while it is open.
/// </summary>
internal sealed class ClientTransport : IAsyncDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TimeProvider _clock;
    private readonly List<Task> _loops = [];
    private long _lastReceived;
    private int _dispatching;
    private int _disposed;

    public ClientTransport(ClientWebSocket socket, bool isRecovery, TimeProvider clock)
    {
        Socket = socket;
        IsRecovery = isRecovery;
        _clock = clock;
        _lastReceived = clock.GetTimestamp();
        Token = _lifetime.Token;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>Opened to resume a connection (<c>awps_connection_id</c>), not a fresh one.</summary>
    public bool IsRecovery { get; }

    /// <summary>A <c>connected</c> frame arrived on this socket; later ones only refresh the token.</summary>
    public bool ConnectedSeen { get; set; }

    /// <summary>The receive loop ended; set under the client's lock, together with the state change.</summary>
    public bool IsClosed { get; set; }

    public CancellationToken Token { get; }

    /// <summary>Time since the last complete message arrived, or zero while one is being handed to the application.</summary>
    public TimeSpan Idle => Volatile.Read(ref _dispatching) != 0 ? TimeSpan.Zero : _clock.GetElapsedTime(Volatile.Read(ref _lastReceived));

    public void MarkReceived() => Volatile.Write(ref _lastReceived, _clock.GetTimestamp());

    /// <summary>While the receive loop waits for room in the message buffer, the socket is not idle but paused.</summary>
    public void SetDispatching(bool dispatching)
    {
        if (!dispatching)
        {
            MarkReceived();
        }

        Volatile.Write(ref _dispatching, dispatching ? 1 : 0);
    }

    public void StartLoop(Func<ClientTransport, Task> loop) => _loops.Add(loop(this));

    /// <summary>Ends the socket at once (keep-alive timeout, oversized frame, stop that did not finish).</summary>
    public void Abort() => Socket.Abort();

    /// <summary>Called when the receive loop ends: stops the loops.</summary>
    public void Shutdown()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _lifetime.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _lifetime.Cancel();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Socket.Dispose();
        _lifetime.Dispose();
    }
}
