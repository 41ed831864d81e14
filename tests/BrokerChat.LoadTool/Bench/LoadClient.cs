using System.Buffers.Text;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.LoadTool.Bench;

/// <summary>The client protocol a system speaks.</summary>
public enum WireProtocol
{
    /// <summary>Azure Web PubSub JSON subprotocol (<c>json.webpubsub.azure.v1</c>): BrokerChat and the bare server.</summary>
    WebPubSub,

    /// <summary>ASP.NET Core SignalR JSON hub protocol over a WebSocket, negotiation skipped.</summary>
    SignalR,

    /// <summary>
    /// The reliable Web PubSub JSON subprotocol (<c>json.reliable.webpubsub.azure.v1</c>, BrokerChat only, with
    /// <c>bench --reliable</c>): messages are numbered and the client acknowledges them from its keep-alive loop.
    /// </summary>
    WebPubSubReliable,
}

/// <summary>What every client of one load process adds its receipts to.</summary>
internal sealed class ReceiptCounters
{
    /// <summary>Receipts since the last tick, for the timeline.</summary>
    public LatencyHistogram Interval = new();

    /// <summary>Receipts of messages sent inside the measured window, by normal-speed readers.</summary>
    public LatencyHistogram Measured = new();

    /// <summary>The same, by slow readers.</summary>
    public LatencyHistogram MeasuredSlow = new();

    /// <summary>Start of the measured window (Stopwatch timestamp; send times inside it are measured).</summary>
    public long MeasureFrom = long.MaxValue;

    /// <summary>End of the measured window.</summary>
    public long MeasureTo = long.MaxValue;

    /// <summary>Receipts in all.</summary>
    public long Received;

    /// <summary>Receipts of measured messages.</summary>
    public long MeasuredReceived;

    /// <summary>Receipts out of order (or repeated) per sender and room.</summary>
    public long OrderViolations;

    /// <summary>Receipts out of order among the measured ones.</summary>
    public long MeasuredOrderViolations;

    /// <summary>Connections the server closed or lost.</summary>
    public long ClosedByServer;

    /// <summary>Whether a send timestamp lies in the measured window.</summary>
    public bool InWindow(long timestamp) => timestamp >= Volatile.Read(ref MeasureFrom) && timestamp < Volatile.Read(ref MeasureTo);
}

/// <summary>
/// One load client: a raw WebSocket speaking just enough of the system's protocol to join a room, send timestamped
/// messages to it and time every receipt. Messages carry <c>{"t":sendTimestamp,"s":sender,"n":sequence,"p":padding}</c>;
/// the timestamp is <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>, a monotonic clock every process on the
/// machine shares, so a receipt in another load process is timed correctly.
/// </summary>
internal sealed class LoadClient : IAsyncDisposable
{
    private static readonly byte[] SignalRHandshake = "{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray();
    private static readonly byte[] SignalRPing = "{\"type\":6}\u001e"u8.ToArray();
    private static readonly byte[] AckType = Encoding.UTF8.GetBytes($"\"{WebPubSubFields.Type}\":\"{WebPubSubMessageTypes.Ack}\"");
    private static readonly byte[] FirstAckId = Encoding.UTF8.GetBytes($"\"{WebPubSubFields.AckId}\":1");
    private static readonly byte[] T = "\"t\":"u8.ToArray();
    private static readonly byte[] S = "\"s\":"u8.ToArray();
    private static readonly byte[] N = "\"n\":"u8.ToArray();
    private static readonly byte[] SequenceId = Encoding.UTF8.GetBytes($"\"{WebPubSubFields.SequenceId}\":");
    private readonly ClientWebSocket _socket = new();
    private readonly WireProtocol _protocol;
    private readonly Dictionary<int, long> _lastSequence = [];
    private readonly byte[] _sendBuffer = new byte[1024];
    private TaskCompletionSource? _joined;
    private Task _reader = Task.CompletedTask;
    private Task _pendingSend = Task.CompletedTask;
    private long _sequence;
    private long _highestSequenceId;
    private long _acknowledged;

    /// <summary>Creates a client.</summary>
    public LoadClient(int index, string? room, bool slow, WireProtocol protocol, ReceiptCounters counters)
    {
        Index = index;
        Room = room;
        Slow = slow;
        _protocol = protocol;
        Counters = counters;
    }

    /// <summary>Where receipts are counted; replaced when a new measured window starts.</summary>
    public ReceiptCounters Counters { get; set; }

    /// <summary>The client's number in the whole scenario.</summary>
    public int Index { get; }

    /// <summary>The room it joins, if any.</summary>
    public string? Room { get; }

    /// <summary>Whether it reads slowly (one frame every <see cref="SlowReadDelay"/>).</summary>
    public bool Slow { get; }

    /// <summary>How long a slow reader waits after each frame.</summary>
    public static TimeSpan SlowReadDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether the connection has ended.</summary>
    public bool Closed { get; private set; }

    /// <summary>Connects, completes the protocol handshake and joins <see cref="Room"/>.</summary>
    public async Task ConnectAsync(Uri url, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (_protocol != WireProtocol.SignalR)
        {
            _socket.Options.AddSubProtocol(_protocol == WireProtocol.WebPubSubReliable ? WebPubSubSubprotocols.JsonReliable : WebPubSubSubprotocols.Json);
        }

        await _socket.ConnectAsync(url, invoker, cancellationToken).ConfigureAwait(false);
        _joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_protocol == WireProtocol.SignalR)
        {
            await _socket.SendAsync(SignalRHandshake, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }

        _reader = ReadAsync();
        if (Room is not null)
        {
            var join = _protocol == WireProtocol.SignalR
                ? $"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinRoom\",\"arguments\":[\"{Room}\"]}}\u001e"
                : $"{{\"{WebPubSubFields.Type}\":\"{WebPubSubMessageTypes.JoinGroup}\",\"{WebPubSubFields.Group}\":\"{Room}\",\"{WebPubSubFields.AckId}\":1}}";
            await _socket.SendAsync(Encoding.UTF8.GetBytes(join), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            await _joined.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the next message to the room unless the previous send has not finished (the socket is backed up);
    /// returns whether a message went out.
    /// </summary>
    public bool TrySend(long now, int padding)
    {
        if (Closed || Room is null || !_pendingSend.IsCompleted)
        {
            return false;
        }

        var length = Format(now, padding);
        try
        {
            _pendingSend = _socket.SendAsync(_sendBuffer.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None).AsTask();
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            MarkClosed();
            return false;
        }

        _pendingSend.ContinueWith(t => MarkClosed(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    /// <summary>
    /// Sends a protocol-level ping where the protocol needs one to keep an idle connection alive, and on the reliable
    /// protocol acknowledges the messages received since the last time.
    /// </summary>
    public void KeepAlive()
    {
        if (Closed || !_pendingSend.IsCompleted)
        {
            return;
        }

        if (_protocol == WireProtocol.SignalR)
        {
            _pendingSend = _socket.SendAsync(SignalRPing.AsMemory(), WebSocketMessageType.Text, true, CancellationToken.None).AsTask();
        }
        else if (_protocol == WireProtocol.WebPubSubReliable && Volatile.Read(ref _highestSequenceId) is var highest && highest > _acknowledged)
        {
            _acknowledged = highest;
            var ack = $"{{\"{WebPubSubFields.Type}\":\"{WebPubSubMessageTypes.SequenceAck}\",\"{WebPubSubFields.SequenceId}\":{highest}}}";
            _pendingSend = _socket.SendAsync(Encoding.UTF8.GetBytes(ack), WebSocketMessageType.Text, true, CancellationToken.None);
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        Closed = true;
        _socket.Abort();
        await _reader.ConfigureAwait(false);
        _socket.Dispose();
    }

    private int Format(long timestamp, int padding)
    {
        var sequence = ++_sequence;
        var span = _sendBuffer.AsSpan();
        var head = _protocol == WireProtocol.SignalR
            ? $"{{\"type\":1,\"target\":\"SendToRoom\",\"arguments\":[\"{Room}\",{{\"t\":"
            : $"{{\"{WebPubSubFields.Type}\":\"{WebPubSubMessageTypes.SendToGroup}\",\"{WebPubSubFields.Group}\":\"{Room}\",\"{WebPubSubFields.DataType}\":\"{WebPubSubDataTypes.Json}\",\"{WebPubSubFields.Data}\":{{\"t\":";
        var length = Encoding.UTF8.GetBytes(head, span);
        Utf8Formatter.TryFormat(timestamp, span[length..], out var written);
        length += written;
        length += Encoding.UTF8.GetBytes(",\"s\":", span[length..]);
        Utf8Formatter.TryFormat(Index, span[length..], out written);
        length += written;
        length += Encoding.UTF8.GetBytes(",\"n\":", span[length..]);
        Utf8Formatter.TryFormat(sequence, span[length..], out written);
        length += written;
        length += Encoding.UTF8.GetBytes(",\"p\":\"", span[length..]);
        span.Slice(length, padding).Fill((byte)'x');
        length += padding;
        length += Encoding.UTF8.GetBytes(_protocol == WireProtocol.SignalR ? "\"}]}\u001e" : "\"}}", span[length..]);
        return length;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[4096];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                OnMessage(buffer.AsSpan(0, filled), now);
                filled = 0;
                if (Slow)
                {
                    await Task.Delay(SlowReadDelay).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        MarkClosed();
    }

    private void MarkClosed()
    {
        if (!Closed)
        {
            Closed = true;
            Interlocked.Increment(ref Counters.ClosedByServer);
        }

        _joined?.TrySetException(new WebSocketException("The connection closed before the join was answered."));
    }

    private void OnMessage(ReadOnlySpan<byte> message, long now)
    {
        if (_protocol == WireProtocol.WebPubSubReliable && message.IndexOf(SequenceId) is var at and >= 0
            && Utf8Parser.TryParse(message[(at + SequenceId.Length)..], out long sequenceId, out _) && sequenceId > _highestSequenceId)
        {
            Volatile.Write(ref _highestSequenceId, sequenceId);
        }

        var found = false;
        while (true)
        {
            var t = message.IndexOf(T);
            if (t < 0)
            {
                break;
            }

            message = message[(t + T.Length)..];
            if (!Utf8Parser.TryParse(message, out long sentAt, out _) || !TryNumberAfter(ref message, S, out var sender) || !TryNumberAfter(ref message, N, out var sequence))
            {
                break;
            }

            found = true;
            Record(now, sentAt, (int)sender, sequence);
        }

        if (!found && _joined is { Task.IsCompleted: false } joined && IsJoinAnswer(message))
        {
            joined.TrySetResult();
        }
    }

    private void Record(long now, long sentAt, int sender, long sequence)
    {
        var micros = (long)((now - sentAt) * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency);
        var outOfOrder = _lastSequence.TryGetValue(sender, out var last) && sequence <= last;
        _lastSequence[sender] = Math.Max(last, sequence);
        var counters = Counters;
        counters.Interval.Record(micros);
        Interlocked.Increment(ref counters.Received);
        if (outOfOrder)
        {
            Interlocked.Increment(ref counters.OrderViolations);
        }

        if (counters.InWindow(sentAt))
        {
            (Slow ? counters.MeasuredSlow : counters.Measured).Record(micros);
            Interlocked.Increment(ref counters.MeasuredReceived);
            if (outOfOrder)
            {
                Interlocked.Increment(ref counters.MeasuredOrderViolations);
            }
        }
    }

    private bool IsJoinAnswer(ReadOnlySpan<byte> message) => _protocol == WireProtocol.SignalR
        ? message.IndexOf("\"type\":3"u8) >= 0 && message.IndexOf("\"invocationId\":\"1\""u8) >= 0
        : message.IndexOf(AckType) >= 0 && message.IndexOf(FirstAckId) >= 0;

    private static bool TryNumberAfter(ref ReadOnlySpan<byte> message, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        var at = message.IndexOf(key);
        if (at < 0)
        {
            return false;
        }

        message = message[(at + key.Length)..];
        return Utf8Parser.TryParse(message, out value, out _);
    }

    /// <summary>The invoker a client on <paramref name="source"/> connects through.</summary>
    public static HttpMessageInvoker Invoker(IPAddress source) => BrokerChat.Testing.SocketInvoker.From(source);
}
