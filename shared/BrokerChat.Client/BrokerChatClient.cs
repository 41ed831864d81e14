using System.Collections.Concurrent;
using System.Threading.Channels;
using BrokerChat.Client.Protocol;

namespace BrokerChat.Client;

/// <summary>
/// A client of BrokerChat (or any Azure Web PubSub compatible server) over one WebSocket at a time. It behaves like
/// the Azure Web PubSub JavaScript client: requests with an ackId wait for their ack; on the reliable protocols a
/// dropped socket is resumed (<c>awps_connection_id</c>) and unacknowledged requests are sent again with the same
/// ackId; a connection that cannot be resumed is replaced by a fresh one and its groups are joined again. Invocations
/// (<see cref="InvokeAsync(string, ReadOnlyMemory{byte}, WebPubSubDataType, CancellationToken)"/>) wait for their
/// responses and fail when their socket is lost.
/// </summary>
/// <remarks>
/// Received messages are read from <see cref="Messages"/>, a bounded buffer (see
/// <see cref="BrokerChatClientOptions.MessageBufferCapacity"/>). Lifecycle events are asynchronous handlers, invoked
/// one after another; an exception from a handler is swallowed so that it cannot break the connection.
/// </remarks>
public sealed partial class BrokerChatClient : IAsyncDisposable
{
    private readonly Func<CancellationToken, ValueTask<Uri>> _urlProvider;
    private readonly BrokerChatClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly FrameCodec _codec;
    private readonly string _subprotocol;
    private readonly bool _reliable;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, PendingRequest> _pending = new();
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
    private readonly HashSet<string> _presenceGroups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, BrokerChatMemberList> _memberLists = new();
    private readonly PendingInvocations _invocations;
    private readonly Channel<BrokerChatMessage> _messages;

    private long _nextAckId;
    private long _nextInvocationId;
    private BrokerChatClientState _state = BrokerChatClientState.Stopped;
    private TaskCompletionSource<ClientTransport?> _connectedSignal = CompletedSignal();
    private ClientTransport? _transport;
    private CancellationTokenSource? _stopping;
    private Task? _runTask;
    private bool _disposed;

    // The logical connection: set by the first connected frame of a fresh socket, refreshed by later ones.
    private Uri? _connectionUri;
    private string? _connectionId;
    private string? _userId;
    private string? _reconnectionToken;
    private string? _disconnectedMessage;

    // Reliable protocols: the highest sequenceId handed to the application, and what the server was told.
    private ulong _sequenceId;
    private ulong _ackedSequenceId;
    private bool _sequenceAckDue;

    /// <summary>Creates a client that connects to a fixed client access URL (reused for every fresh connection).</summary>
    /// <param name="clientAccessUri"><c>ws(s)://host/client/hubs/{hub}?access_token=…</c></param>
    /// <param name="options">Settings; null for the defaults.</param>
    public BrokerChatClient(Uri clientAccessUri, BrokerChatClientOptions? options = null)
        : this(FixedUrl(clientAccessUri), options)
    {
    }

    /// <summary>
    /// Creates a client that asks <paramref name="clientAccessUriProvider"/> for a URL (with a fresh token) for the
    /// first connection and for every fresh reconnect; a recovery reuses the URL of the connection it resumes.
    /// </summary>
    /// <param name="clientAccessUriProvider">Returns a client access URL.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    public BrokerChatClient(Func<CancellationToken, ValueTask<Uri>> clientAccessUriProvider, BrokerChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(clientAccessUriProvider);
        _urlProvider = clientAccessUriProvider;
        _options = (options ?? new BrokerChatClientOptions()).Clone();
        _options.Validate();
        _clock = _options.TimeProvider;
        _codec = FrameCodec.For(_options.Protocol);
        _subprotocol = FrameCodec.SubprotocolOf(_options.Protocol);
        _reliable = FrameCodec.IsReliable(_options.Protocol);
        _invocations = new PendingInvocations(_options.MaxPendingInvocations);
        _messages = Channel.CreateBounded<BrokerChatMessage>(new BoundedChannelOptions(_options.MessageBufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
    }

    /// <summary>A fresh connection is established and its groups are rejoined (not raised after a recovery).</summary>
    public event Func<BrokerChatConnectedEventArgs, Task>? Connected;

    /// <summary>A connection is lost and could not be recovered, or the client is stopping.</summary>
    public event Func<BrokerChatDisconnectedEventArgs, Task>? Disconnected;

    /// <summary>The client stopped: it will not connect again until <see cref="StartAsync"/> is called.</summary>
    public event Func<BrokerChatStoppedEventArgs, Task>? Stopped;

    /// <summary>A group could not be joined again on a fresh connection.</summary>
    public event Func<BrokerChatRejoinGroupFailedEventArgs, Task>? RejoinGroupFailed;

    /// <summary>
    /// A member joined or left a group this client joined with <c>presence</c> (BrokerChat). Raised on the receive loop,
    /// in the order the server sent them; after a connection is resumed on another server some may have been missed,
    /// so list the members again (<see cref="ListMembersAsync"/>) when exactness matters.
    /// </summary>
    public event Func<BrokerChatPresenceEventArgs, Task>? PresenceChanged;

    /// <summary>
    /// Group and server messages in arrival order (duplicates replayed after a recovery are dropped). Bounded by
    /// <see cref="BrokerChatClientOptions.MessageBufferCapacity"/>: when it is full the client stops reading its
    /// socket until a message is taken. It completes when the client is disposed.
    /// </summary>
    public ChannelReader<BrokerChatMessage> Messages => _messages.Reader;

    /// <summary>The connection id from the latest <c>connected</c> frame, or null before one arrived.</summary>
    public string? ConnectionId
    {
        get
        {
            lock (_gate)
            {
                return _connectionId;
            }
        }
    }

    /// <summary>The user id from the <c>connected</c> frame of the current connection.</summary>
    public string? UserId
    {
        get
        {
            lock (_gate)
            {
                return _userId;
            }
        }
    }

    /// <summary>Where the client is in its life.</summary>
    public BrokerChatClientState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Opens the first connection and returns once the socket is open (the server's <c>connected</c> frame and the
    /// <see cref="Connected"/> event may follow a little later). Throws if the socket cannot be opened; there is no
    /// automatic retry of the first connection.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource stopping;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state != BrokerChatClientState.Stopped || _runTask is not null)
            {
                throw new InvalidOperationException($"The client can only be started when it is stopped; it is {_state}.");
            }

            _state = BrokerChatClientState.Connecting;
            _connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _stopping = stopping = new CancellationTokenSource();
        }

        ClientTransport? transport = null;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
            transport = await OpenFreshAsync(linked.Token).ConfigureAwait(false);
            await ActivateAsync(transport, linked.Token).ConfigureAwait(false);
        }
        catch
        {
            if (transport is not null)
            {
                transport.Abort();
                await transport.DisposeAsync().ConfigureAwait(false);
            }

            lock (_gate)
            {
                _state = BrokerChatClientState.Stopped;
                _transport = null;
                _stopping = null;
                _connectedSignal.TrySetResult(null);
            }

            stopping.Dispose();
            throw;
        }

        lock (_gate)
        {
            _runTask = Task.Run(() => RunAsync(transport, stopping), CancellationToken.None);
        }
    }

    /// <summary>
    /// Closes the socket (status 1000, so the server ends the connection for good) and waits until the client has
    /// stopped; pending requests fail. <see cref="Disconnected"/> and <see cref="Stopped"/> are raised before it returns.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task? run;
        CancellationTokenSource? stopping;
        lock (_gate)
        {
            run = _runTask;
            stopping = _stopping;
            if (run is null || stopping is null)
            {
                return;
            }

            _state = BrokerChatClientState.Stopping;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await CloseCurrentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await run.WaitAsync(_options.CloseTimeout, _clock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The server did not answer the close; drop the socket.
            AbortCurrent();
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the client (bounded by <see cref="BrokerChatClientOptions.CloseTimeout"/>) and completes <see cref="Messages"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        using var timeout = new CancellationTokenSource(_options.CloseTimeout * 2, _clock);
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            AbortCurrent();
        }

        _messages.Writer.TryComplete();
    }

    private static Func<CancellationToken, ValueTask<Uri>> FixedUrl(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return _ => ValueTask.FromResult(uri);
    }

    private static TaskCompletionSource<ClientTransport?> CompletedSignal()
    {
        var signal = new TaskCompletionSource<ClientTransport?>(TaskCreationOptions.RunContinuationsAsynchronously);
        signal.SetResult(null);
        return signal;
    }

    private static async Task RaiseAsync<TArgs>(Func<TArgs, Task>? handlers, TArgs args)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Func<TArgs, Task>>())
        {
            try
            {
                await handler(args).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A faulty handler must not break the connection.
            }
        }
    }
}
