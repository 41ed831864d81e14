using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.Channels;
using BrokerChat.Client.Protocol;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client;

/// <summary>
/// A client of BrokerChat (or any Azure Web PubSub compatible server) over one WebSocket at a time. It behaves like
/// the Azure Web PubSub JavaScript client: requests with an ackId wait for their ack; on the reliable protocols a
/// dropped socket is resumed (<c>awps_connection_id</c>) and unacknowledged requests are sent again with the same
/// ackId; a connection that cannot be resumed is replaced by a fresh one and its groups are joined again.
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
    private readonly Channel<BrokerChatMessage> _messages;

    private long _nextAckId;
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

    /// <summary>Joins a group; on success the group is also joined on every fresh connection (see <see cref="BrokerChatClientOptions.AutoRejoinGroups"/>).</summary>
    /// <param name="group">The group name.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client (1, 2, 3, …).</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public async Task<WebPubSubResult> JoinGroupAsync(string group, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        var result = await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.JoinGroup, group, id), ackId, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _groups.Add(group);
        }

        return result;
    }

    /// <summary>
    /// Joins a group with BrokerChat's options: the group's latest <paramref name="history"/> messages arrive in
    /// <see cref="Messages"/> (marked <see cref="BrokerChatMessage.IsHistory"/>) before this returns, ahead of any live
    /// message of the group, and with <paramref name="presence"/> the client raises <see cref="PresenceChanged"/> when
    /// members join or leave. Rejoins on fresh connections keep <paramref name="presence"/> but ask for no history.
    /// </summary>
    /// <param name="group">The group name.</param>
    /// <param name="history">How many of the group's latest messages to receive (the server caps it; 0 for none).</param>
    /// <param name="presence">Whether to be told when members join or leave.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public async Task<WebPubSubResult> JoinGroupAsync(string group, int history, bool presence, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentOutOfRangeException.ThrowIfNegative(history);
        var result = await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.JoinGroup, group, id, history, presence), ackId, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _groups.Add(group);
            if (presence)
            {
                _presenceGroups.Add(group);
            }
            else
            {
                _presenceGroups.Remove(group);
            }
        }

        return result;
    }

    /// <summary>Lists a group's members on every connector (BrokerChat); needs membership of the group or the role to join it.</summary>
    /// <param name="group">The group name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="SendMessageFailedException">The server refused the request (or does not know it), or the connection was lost for good.</exception>
    public async Task<BrokerChatMemberList> ListMembersAsync(string group, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ulong ackId = 0;
        try
        {
            await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.ListMembers, group, ackId = id), null, cancellationToken).ConfigureAwait(false);
            // The list is written before its ack, so it has arrived.
            return _memberLists.TryGetValue(ackId, out var list)
                ? list
                : throw new SendMessageFailedException(ackId, null, "The server acknowledged listMembers without a member list.");
        }
        finally
        {
            _memberLists.TryRemove(ackId, out _);
        }
    }

    /// <summary>Leaves a group (and stops rejoining it).</summary>
    /// <param name="group">The group name.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> LeaveGroupAsync(string group, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        lock (_gate)
        {
            _groups.Remove(group);
            _presenceGroups.Remove(group);
        }

        return SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.LeaveGroup, group, id), ackId, cancellationToken);
    }

    /// <summary>Publishes data to a group.</summary>
    /// <param name="group">The group name (the client need not be a member).</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="noEcho">True to leave this connection out of the recipients.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="fireAndForget">True to send without an ackId: the call returns once the frame is written, and it is not resent after a drop.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> SendToGroupAsync(string group, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, bool noEcho = false, ulong? ackId = null, bool fireAndForget = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ValidateData(data.Span, dataType);
        return fireAndForget
            ? SendWithoutAckAsync(_codec.SendToGroup(group, dataType, data.Span, noEcho, null), cancellationToken)
            : SendWithAckAsync(id => _codec.SendToGroup(group, dataType, data.Span, noEcho, id), ackId, cancellationToken);
    }

    /// <summary>Sends a custom event to the server's event handler.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="fireAndForget">True to send without an ackId (see <see cref="SendToGroupAsync"/>).</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> SendEventAsync(string eventName, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, ulong? ackId = null, bool fireAndForget = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ValidateData(data.Span, dataType);
        return fireAndForget
            ? SendWithoutAckAsync(_codec.Event(eventName, dataType, data.Span, null), cancellationToken)
            : SendWithAckAsync(id => _codec.Event(eventName, dataType, data.Span, id), ackId, cancellationToken);
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

    private static void ValidateData(ReadOnlySpan<byte> data, WebPubSubDataType dataType)
    {
        switch (dataType)
        {
            case WebPubSubDataType.Json:
                try
                {
                    var reader = new Utf8JsonReader(data);
                    while (reader.Read())
                    {
                    }
                }
                catch (JsonException ex)
                {
                    throw new ArgumentException("The data is not valid JSON.", nameof(data), ex);
                }

                if (data.IsEmpty)
                {
                    throw new ArgumentException("JSON data must not be empty.", nameof(data));
                }

                break;
            case WebPubSubDataType.Text:
                if (!Utf8.IsValid(data))
                {
                    throw new ArgumentException("Text data must be valid UTF-8.", nameof(data));
                }

                break;
            case WebPubSubDataType.Binary or WebPubSubDataType.Protobuf:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dataType), dataType, null);
        }
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
