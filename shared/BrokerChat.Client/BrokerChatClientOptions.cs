namespace BrokerChat.Client;

/// <summary>
/// Settings of a <see cref="BrokerChatClient"/>. The defaults match the Azure Web PubSub JavaScript client. Values are
/// checked when set (nonsense throws <see cref="ArgumentOutOfRangeException"/>); the client takes a snapshot of them
/// when it is constructed, so later changes have no effect on it.
/// </summary>
public sealed class BrokerChatClientOptions
{
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    private TimeSpan _keepAliveInterval = TimeSpan.FromSeconds(20);
    private TimeSpan _keepAliveTimeout = TimeSpan.FromSeconds(120);
    private TimeSpan _sequenceAckInterval = TimeSpan.FromSeconds(1);
    private TimeSpan _recoveryTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan _recoveryRetryDelay = TimeSpan.FromSeconds(1);
    private TimeSpan _reconnectDelay = TimeSpan.FromSeconds(1);
    private TimeSpan _maxReconnectDelay = TimeSpan.FromSeconds(30);
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan _invokeTimeout = TimeSpan.FromSeconds(60);
    private int _maxResendAttempts = 3;
    private int _messageBufferCapacity = 1000;
    private int _maxMessageBytes = 4 * 1024 * 1024;
    private int _maxPendingInvocations = 1000;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>The subprotocol to offer. The default is <see cref="BrokerChatProtocol.JsonReliable"/>.</summary>
    public BrokerChatProtocol Protocol
    {
        get;
        set => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown protocol.");
    } = BrokerChatProtocol.JsonReliable;

    /// <summary>
    /// Whether a connection that is lost and cannot be recovered is replaced by a fresh one (with a new URL from the
    /// provider). The default is true.
    /// </summary>
    public bool AutoReconnect { get; set; } = true;

    /// <summary>
    /// Whether the groups joined with <see cref="BrokerChatClient.JoinGroupAsync(string, ulong?, CancellationToken)"/> (or its
    /// overload with history and presence) are joined again on every fresh
    /// connection. The default is true.
    /// </summary>
    public bool AutoRejoinGroups { get; set; } = true;

    /// <summary>How often a <c>ping</c> request goes to the server while connected. The default is 20 s.</summary>
    public TimeSpan KeepAliveInterval
    {
        get => _keepAliveInterval;
        set => _keepAliveInterval = Positive(value);
    }

    /// <summary>
    /// A connection on which no frame arrived for this long is closed and recovered (the server answers every ping
    /// with a pong, so a healthy connection never gets here). Must be longer than <see cref="KeepAliveInterval"/>.
    /// The default is 120 s.
    /// </summary>
    public TimeSpan KeepAliveTimeout
    {
        get => _keepAliveTimeout;
        set => _keepAliveTimeout = Positive(value);
    }

    /// <summary>
    /// How often, at most, a <c>sequenceAck</c> tells the server what arrived (reliable protocols only); one goes out
    /// at once when the acknowledged id falls more than 300 behind. The default is 1 s.
    /// </summary>
    public TimeSpan SequenceAckInterval
    {
        get => _sequenceAckInterval;
        set => _sequenceAckInterval = Positive(value);
    }

    /// <summary>How long the client keeps trying to resume a dropped connection. The default is 30 s.</summary>
    public TimeSpan RecoveryTimeout
    {
        get => _recoveryTimeout;
        set => _recoveryTimeout = Positive(value);
    }

    /// <summary>The pause between two recovery attempts. The default is 1 s.</summary>
    public TimeSpan RecoveryRetryDelay
    {
        get => _recoveryRetryDelay;
        set => _recoveryRetryDelay = Positive(value);
    }

    /// <summary>
    /// The smallest pause between two attempts to open a fresh connection; the pause grows with decorrelated jitter
    /// up to <see cref="MaxReconnectDelay"/>. The first attempt after a loss is made at once. The default is 1 s.
    /// </summary>
    public TimeSpan ReconnectDelay
    {
        get => _reconnectDelay;
        set => _reconnectDelay = Positive(value);
    }

    /// <summary>The largest pause between two reconnect attempts. The default is 30 s.</summary>
    public TimeSpan MaxReconnectDelay
    {
        get => _maxReconnectDelay;
        set => _maxReconnectDelay = Positive(value);
    }

    /// <summary>How long one WebSocket handshake may take. The default is 30 s.</summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        set => _connectTimeout = Positive(value);
    }

    /// <summary>How long <see cref="BrokerChatClient.StopAsync"/> waits for the close handshake before it aborts the socket. The default is 5 s.</summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = Positive(value);
    }

    /// <summary>
    /// How long <see cref="BrokerChatClient.InvokeAsync(string, ReadOnlyMemory{byte}, WebPubSubDataType, CancellationToken)"/>
    /// waits for the response before it sends <c>cancelInvocation</c> and throws <see cref="TimeoutException"/>
    /// (the overload with a timeout overrides it). The default is 60 s.
    /// </summary>
    public TimeSpan InvokeTimeout
    {
        get => _invokeTimeout;
        set => _invokeTimeout = Positive(value);
    }

    /// <summary>
    /// How many invocations may wait for their responses at once; one more is refused with
    /// <see cref="InvalidOperationException"/> until one of them ends. The default is 1,000.
    /// </summary>
    public int MaxPendingInvocations
    {
        get => _maxPendingInvocations;
        set => _maxPendingInvocations = value is >= 1 and <= 100_000 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be between 1 and 100,000.");
    }

    /// <summary>
    /// How many times a request that was sent but not acknowledged when its connection dropped is sent again (with
    /// the same ackId) on the next connection; after that it fails with <see cref="SendMessageFailedException"/>.
    /// Zero disables resending. The default is 3.
    /// </summary>
    public int MaxResendAttempts
    {
        get => _maxResendAttempts;
        set => _maxResendAttempts = value is >= 0 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be between 0 and 100.");
    }

    /// <summary>
    /// How many received messages may wait in <see cref="BrokerChatClient.Messages"/>. When it is full the client stops
    /// reading the socket until the application takes one (backpressure reaches the server, which may disconnect a
    /// client that falls too far behind); acks queued behind those messages wait too. The default is 1,000.
    /// </summary>
    public int MessageBufferCapacity
    {
        get => _messageBufferCapacity;
        set => _messageBufferCapacity = value is >= 1 and <= 1_000_000 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be between 1 and 1,000,000.");
    }

    /// <summary>
    /// The largest WebSocket message accepted from the server; a larger one closes the socket with 1009 (and the
    /// connection is recovered or replaced). The default is 4 MiB.
    /// </summary>
    public int MaxMessageBytes
    {
        get => _maxMessageBytes;
        set => _maxMessageBytes = value is >= 1024 and <= 256 * 1024 * 1024 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Must be between 1 KiB and 256 MiB.");
    }

    /// <summary>The clock of every timer and delay (keep-alive, acks, recovery, backoff). The default is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Checks the values that depend on each other; called by the client's constructor.</summary>
    internal void Validate()
    {
        if (KeepAliveTimeout <= KeepAliveInterval)
        {
            throw new ArgumentException($"{nameof(KeepAliveTimeout)} ({KeepAliveTimeout}) must be longer than {nameof(KeepAliveInterval)} ({KeepAliveInterval}).");
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            throw new ArgumentException($"{nameof(MaxReconnectDelay)} ({MaxReconnectDelay}) must not be shorter than {nameof(ReconnectDelay)} ({ReconnectDelay}).");
        }
    }

    internal BrokerChatClientOptions Clone() => (BrokerChatClientOptions)MemberwiseClone();

    /// <summary>Checks a duration option (or argument): positive and at most one day.</summary>
    internal static TimeSpan Positive(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value > TimeSpan.Zero && value <= MaxDuration ? value : throw new ArgumentOutOfRangeException(name, value, "Must be positive and at most one day.");
}
