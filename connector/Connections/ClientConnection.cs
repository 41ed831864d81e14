using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Transport;

namespace BrokerChat.Connector.Connections;

/// <summary>What a close does to a reliable session.</summary>
internal enum SessionOnClose
{
    /// <summary>The session ends with the connection.</summary>
    End,

    /// <summary>The transport was lost: the session keeps numbering and holding messages for its client to resume it.</summary>
    Keep,

    /// <summary>Unsent messages are written before the close frame; the client resumes elsewhere.</summary>
    Flush,
}

/// <summary>
/// The state of one client connection: identity, group memberships, the bounded outbound queue, pending acks, and
/// how it is closing. Any thread may queue frames or ask it to close. There is no send loop waiting while the
/// connection is idle: the thread that queues a frame into an empty queue starts a drain, which writes every queued
/// frame to the transport and ends when the queue is empty, so only one drain writes at a time and an idle
/// connection holds no task, buffer or timer. Queued messages are the encoded payloads shared by every recipient;
/// the drain writes the few bytes of WebSocket header in front of each as it copies it to the transport.
/// </summary>
internal sealed partial class ClientConnection : IDisposable
{
    /// <summary>Close code for a client that could not keep up: "try again later", so it reconnects.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>Close code for a server that is going away for a restart: the client should reconnect elsewhere.</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    private const int MaxPendingAcks = 1000;
    private const int MaxCloseReasonBytes = 123;
    private const int InitialQueueCapacity = 4;

    /// <summary>Bytes written to the transport before the drain flushes, even if more frames are queued.</summary>
    private const int FlushThreshold = 64 * 1024;

    private static readonly byte[] NoPayload = [];

    private readonly Lock _gate = new();
    private readonly int _maxQueuedMessages;
    private readonly int _maxQueuedBytes;
    private readonly TimeProvider _clock;
    private readonly WebSocketOpcode _frameOpcode;
    private readonly ReliableStream? _stream;

    // Outbound queue: a ring buffer guarded by _gate, grown on demand up to _maxQueuedMessages.
    private OutboundFrame[]? _ring;
    private int _head;
    private int _count;
    private long _queuedBytes;
    private bool _draining;
    private TaskCompletionSource? _drainEnded;

    private PipeWriter? _output;
    private object? _transport;
    private Action<object>? _abortTransport;
    private Action? _endReceive;
    private CancellationTokenSource? _aborted;
    private bool _isAborted;

    private PendingDeadlines<ulong>? _pendingAcks;
    private AckIdWindow? _succeeded;
    private HashSet<string>? _groups;

    private int _closing;
    private bool _discardQueued;
    private bool _closeWritten;
    private bool _abortAfterClose;
    private bool _receiveEnded;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private byte[]? _disconnectedFrame;
    private long _lastReceived;
    private long _lastSent;
    private long _lastPing;
    private TokenBucket _rateLimit;
    private long _closingSince;
    private long _detachedSince;
    private SessionOnClose _sessionOnClose;
    private bool _sessionEnded;
    private bool _announced;
    private ConnectionPermissions _permissions;
    private string? _connectionState;

    public ClientConnection(string id, string hub, string? userId, string[] roles, int maxQueuedMessages, int maxQueuedBytes, TimeProvider? timeProvider = null, IPAddress? address = null, ClientProtocol? protocol = null, ReliableStream? stream = null)
    {
        Protocol = protocol ?? ClientProtocol.Json;
        Subprotocol = Protocol.Name;
        _frameOpcode = Protocol.Encoding == ProtocolEncoding.MessagePack ? WebSocketOpcode.Binary : WebSocketOpcode.Text;
        _stream = Protocol.IsReliable ? stream ?? new ReliableStream(1000, 16 * 1024 * 1024) : null;
        _clock = timeProvider ?? TimeProvider.System;
        var now = _clock.GetTimestamp();
        _lastReceived = now;
        _lastSent = now;
        _lastPing = now;
        _rateLimit = new TokenBucket(now);
        Id = id;
        Hub = hub;
        UserId = userId;
        _permissions = ConnectionPermissions.FromRoles(roles);
        Address = address;
        _maxQueuedMessages = maxQueuedMessages;
        _maxQueuedBytes = maxQueuedBytes;
    }

    public string Id { get; }

    /// <summary>The hub, lower-cased.</summary>
    public string Hub { get; }

    public string? UserId { get; }

    /// <summary>The roles its requests carry: its token's, with the REST API's grants and revocations applied.</summary>
    public string[] Roles => Permissions.Roles;

    /// <summary>
    /// What it may do with groups: its token's roles, changed by the REST API's grants and revocations. Any thread
    /// reads it; it is replaced only under the outbound gate (so a reconnection token states it exactly).
    /// </summary>
    public ConnectionPermissions Permissions
    {
        get => Volatile.Read(ref _permissions);
        set => Volatile.Write(ref _permissions, value);
    }

    /// <summary>The subprotocol spoken on this connection.</summary>
    public ClientProtocol Protocol { get; }

    /// <summary>The subprotocol agreed in the handshake (echoed to the client), or null when none was offered.</summary>
    public string? Subprotocol { get; init; }

    /// <summary>
    /// Whether the connection's hub has event handlers (<c>Hubs:{hub}:EventHandlers</c>): then every record it sends to
    /// the inbound topic carries its subprotocol and <see cref="ConnectionState"/>, which the workers send on as
    /// <c>ce-subprotocol</c> and <c>ce-connectionState</c>. Other hubs' records carry neither.
    /// </summary>
    public bool HasEventHandlers { get; init; }

    /// <summary>
    /// The connection's state as its hub's event handler last set it (<c>ce-connectionState</c>, opaque, at most
    /// <see cref="Contracts.Events.WebPubSubCloudEvents.MaxConnectionStateLength"/> characters): by the <c>connect</c>
    /// answer, then by a later event's answer (a <see cref="Contracts.Messages.DeliveryCommand.SetConnectionState"/>
    /// delivery). Written by the outbound dispatcher, read by the receive loop.
    /// </summary>
    public string? ConnectionState
    {
        get => Volatile.Read(ref _connectionState);
        set => Volatile.Write(ref _connectionState, value);
    }

    /// <summary>
    /// A simple WebSocket client (it chose no PubSub subprotocol): it gets messages as raw frames and no protocol
    /// frames at all, and its frames become <c>message</c> events.
    /// </summary>
    public bool IsSimple => Protocol.IsSimple;

    /// <summary>Whether messages carry sequence ids and the session survives a dropped transport.</summary>
    public bool IsReliable => _stream is not null;

    /// <summary>Writes this connection's protocol frames (not for simple clients).</summary>
    public FrameWriter Writer => Protocol.Writer ?? throw new InvalidOperationException("Simple WebSocket clients get no protocol frames.");

    /// <summary>
    /// Per outbound partition, the first offset this session may be sent (set when it was resumed on this connector
    /// from a reconnection token: everything before was delivered by the connector it came from); null otherwise.
    /// Read and written by the delivery dispatcher only.
    /// </summary>
    public long[]? DeliveryFloor { get; set; }

    /// <summary>
    /// Reconnection-token bookkeeping of the delivery dispatcher (which alone reads and writes it): the partition
    /// the messages after the client's latest token come from (-1: none yet), how many came, and when the token was made.
    /// </summary>
    public (int Partition, int Messages, long IssuedAt) TokenMark { get; set; } = (-1, 0, 0);

    /// <summary>
    /// Whether the functions were told the connection opened (a <c>Connected</c> record), so its end is announced too;
    /// a session resumed here from its token inherits its first connector's announcement.
    /// </summary>
    public bool Announced
    {
        get => Volatile.Read(ref _announced);
        set => Volatile.Write(ref _announced, value);
    }

    /// <summary>Whether the session lost its transport and waits for the client to resume it.</summary>
    public bool IsDetached => Volatile.Read(ref _detachedSince) != 0;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of when the transport was lost (valid while <see cref="IsDetached"/>).</summary>
    public long DetachedSince => Volatile.Read(ref _detachedSince);

    /// <summary>Whether the session ended for good while detached (its replay buffer overflowed); it must be removed.</summary>
    public bool SessionEnded
    {
        get
        {
            lock (_gate)
            {
                return _sessionEnded;
            }
        }
    }

    /// <summary>The client's address, for the per-address limit.</summary>
    public IPAddress? Address { get; }

    /// <summary>Groups joined; read and changed only under the hub index's lock (created on first use).</summary>
    public HashSet<string> Groups => _groups ??= new(StringComparer.Ordinal);

    /// <summary>Whether the connection is in any group (without creating the set).</summary>
    public bool HasGroups => _groups is { Count: > 0 };

    /// <summary>Whether the connection is in <paramref name="group"/> (its groups change only under the outbound gate or through its own requests).</summary>
    public bool IsMember(string group) => _groups is { Count: > 0 } groups && groups.Contains(group);

    /// <summary>
    /// Groups whose joins and leaves this connection is told about (it joined them with <c>presence</c>); read and
    /// changed only under the outbound gate; null until the first.
    /// </summary>
    public HashSet<string>? PresenceGroups { get; set; }

    /// <summary>Cancelled when the connection must end at once (created on first use: an idle connection has none).</summary>
    public CancellationToken Aborted
    {
        get
        {
            lock (_gate)
            {
                return _isAborted ? new CancellationToken(canceled: true) : (_aborted ??= new CancellationTokenSource()).Token;
            }
        }
    }

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of when the close started (valid once <see cref="IsClosing"/>).</summary>
    public long ClosingSince => Volatile.Read(ref _closingSince);

    /// <summary>The metric tag of the server-side close (slow_client, timeout, …), or null.</summary>
    public string? CloseKind { get; private set; }

    /// <summary>Why the server closed the connection, or null if it did not.</summary>
    public string? CloseReason => IsClosing ? _closeReason : null;

    public long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame received from the client.</summary>
    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame written (or keep-alive queued) to the client.</summary>
    public long LastSent => Volatile.Read(ref _lastSent);

    /// <summary>Reports what the loops wrote; set by the connection handler.</summary>
    public Action<int>? FrameSent { get; set; }

    /// <summary>Reports how many messages expired unwritten in the outbound queue; set by the connection handler.</summary>
    public Action<int>? MessageExpired { get; set; }

    public void MarkReceived(long now) => Volatile.Write(ref _lastReceived, now);

    public void MarkSent(long now) => Volatile.Write(ref _lastSent, now);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last keep-alive ping queued to the client.</summary>
    public long LastPing => Volatile.Read(ref _lastPing);

    /// <summary>Records that a keep-alive ping was queued.</summary>
    public void MarkPinged(long now) => Volatile.Write(ref _lastPing, now);

    /// <summary>The connection's rate limit (used only from its receive loop).</summary>
    public ref TokenBucket RateLimit => ref _rateLimit;

    /// <summary>Releases the connection's resources once it ended.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _transport = null;
            _output = null;
        }

        _aborted?.Dispose();
    }
}
