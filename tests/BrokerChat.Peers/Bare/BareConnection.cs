using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Peers.Bare;

/// <summary>
/// One client WebSocket of the bare peer. Its receive loop reads requests into one reusable buffer and handles them
/// in order; everything sent to it goes through a bounded queue drained by one writer loop. When the queue is full
/// the connection is closed with 1008 "slow consumer" instead of making the sender wait.
/// </summary>
internal sealed partial class BareConnection
{
    private const int InitialReceiveBuffer = 4096;

    private readonly WebSocket _socket;
    private readonly RoomTable _rooms;
    private readonly BareOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<OutgoingFrame> _outgoing;
    private readonly CancellationTokenSource _abort = new();
    private readonly HashSet<string> _joined = new(StringComparer.Ordinal);
    private readonly ServerFrames _frames = new();
    private int _closing;
    private WebSocketCloseStatus _closeStatus;
    private string _closeDescription = "";

    public BareConnection(WebSocket socket, RoomTable rooms, BareOptions options, ILogger logger, string connectionId, string? userId)
    {
        _socket = socket;
        _rooms = rooms;
        _options = options;
        _logger = logger;
        ConnectionId = connectionId;
        UserId = userId;
        _outgoing = Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string ConnectionId { get; }

    public string? UserId { get; }

    /// <summary>Serves the connection until it is closed; leaves its rooms on the way out.</summary>
    public async Task RunAsync()
    {
        Offer(_frames.Connected(UserId, ConnectionId));
        var writing = WriteLoopAsync();
        try
        {
            await ReceiveLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "");
            foreach (var room in _joined)
            {
                _rooms.Leave(room, this);
            }

            await writing.ConfigureAwait(false);
            _frames.Dispose();
            _abort.Dispose();
        }
    }

    /// <summary>
    /// Queues a frame shared with other connections (called under a room's lock: it never waits). A full queue
    /// closes the connection as a slow consumer.
    /// </summary>
    public void Enqueue(OutgoingFrame frame)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return;
        }

        frame.AddReference();
        if (!_outgoing.Writer.TryWrite(frame))
        {
            frame.Release();
            if (Volatile.Read(ref _closing) == 0)
            {
                LogSlowConsumer(_logger, ConnectionId, _options.QueueCapacity);
                Close(WebSocketCloseStatus.PolicyViolation, "slow consumer");
            }
        }
    }

    /// <summary>
    /// Starts closing: nothing more is queued, frames still queued are dropped, the writer sends the close frame, and
    /// the connection is dropped if the close has not completed within <see cref="BareOptions.CloseTimeout"/>.
    /// </summary>
    public void Close(WebSocketCloseStatus status, string description)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return;
        }

        _closeStatus = status;
        _closeDescription = description;
        _outgoing.Writer.TryComplete();
        try
        {
            _abort.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Queues a frame made for this connection alone (the caller's reference passes to the queue).</summary>
    private void Offer(OutgoingFrame frame)
    {
        Enqueue(frame);
        frame.Release();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    try
                    {
                        if (Volatile.Read(ref _closing) == 0)
                        {
                            await _socket.SendAsync(frame.Memory, WebSocketMessageType.Text, endOfMessage: true, _abort.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        frame.Release();
                    }
                }
            }

            // The queue completes only when the connection is closing.
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(_closeStatus, _closeDescription, _abort.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer is gone or did not close in time.
            Close(WebSocketCloseStatus.EndpointUnavailable, "");
            _socket.Abort();
        }
        finally
        {
            while (reader.TryRead(out var frame))
            {
                frame.Release();
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    buffer = Grow(buffer, count);
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), _abort.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }

                count += result.Count;
                if (Volatile.Read(ref _closing) != 0)
                {
                    count = 0; // closing: read on only to see the peer's close frame
                }
                else if (count > _options.MaxMessageBytes)
                {
                    Close(WebSocketCloseStatus.MessageTooBig, "message too large");
                }
                else if (result.EndOfMessage)
                {
                    if (result.MessageType != WebSocketMessageType.Text)
                    {
                        Close(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported");
                    }
                    else if (!ClientRequest.TryParse(buffer.AsSpan(0, count), out var request))
                    {
                        Close(WebSocketCloseStatus.InvalidPayloadData, "invalid JSON");
                    }
                    else
                    {
                        Handle(request, buffer.AsSpan(0, count));
                    }

                    count = 0;
                    if (buffer.Length > InitialReceiveBuffer)
                    {
                        // A large message was a one-off: do not hold its buffer for the life of the connection.
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Dropped, or the close did not complete in time.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 1));
        buffer.AsSpan(0, count).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private void Handle(in ClientRequest request, ReadOnlySpan<byte> frame)
    {
        if (request.Type == RequestType.Ping)
        {
            Enqueue(ServerFrames.Pong);
            return;
        }

        if (request.Type == RequestType.Unknown || request.Group is not { Length: > 0 } group)
        {
            Acknowledge(request.AckId, "BadRequest", request.Type == RequestType.Unknown ? "Unknown request type." : "The group is missing.");
            return;
        }

        switch (request.Type)
        {
            case RequestType.JoinGroup:
                if (_joined.Add(group))
                {
                    _rooms.Join(group, this);
                }

                break;
            case RequestType.LeaveGroup:
                if (_joined.Remove(group))
                {
                    _rooms.Leave(group, this);
                }

                break;
            default:
                if (request.Data.Equals(default(Range)))
                {
                    Acknowledge(request.AckId, "BadRequest", "The data is missing.");
                    return;
                }

                // Serialized once; every member's queue holds the same bytes.
                var message = _frames.GroupMessage(group, request.DataType, frame[request.Data]);
                _rooms.Send(group, message, this, request.NoEcho);
                message.Release();
                break;
        }

        Acknowledge(request.AckId);
    }

    private void Acknowledge(ulong? ackId, string? errorName = null, string? errorMessage = null)
    {
        if (ackId is { } id)
        {
            Offer(_frames.Ack(id, errorName, errorMessage));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} closed as a slow consumer: {Capacity} frames queued")]
    private static partial void LogSlowConsumer(ILogger logger, string connectionId, int capacity);
}
