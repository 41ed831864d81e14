using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace BrokerChat.Testing;

/// <summary>An ack as the client saw it.</summary>
public sealed record AckFrame(ulong AckId, bool Success, string? ErrorName, string? ErrorMessage);

/// <summary>
/// A minimal <c>json.webpubsub.azure.v1</c> client over a real <see cref="ClientWebSocket"/>, for tests and load
/// tools: it records every frame, answers ack waits, and queues data messages in arrival order.
/// </summary>
public sealed class PubSubTestClient : IAsyncDisposable
{
    /// <summary>How long any single wait may take before the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket;
    private readonly Channel<(JsonObject Frame, long ReceivedAt)> _messages = Channel.CreateBounded<(JsonObject, long)>(100_000);
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<AckFrame>> _acks = new();
    private readonly ConcurrentQueue<JsonObject> _all = new();
    private readonly TaskCompletionSource<JsonObject> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<JsonObject> _pong = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private long _nextAckId;

    private readonly List<(Func<JsonObject, bool> Predicate, TaskCompletionSource<JsonObject> Waiter)> _waiters = [];

    private PubSubTestClient(ClientWebSocket socket, bool read = true)
    {
        _socket = socket;
        _receiveLoop = read ? Task.Run(ReceiveLoopAsync) : Task.CompletedTask;
    }

    /// <summary>Every frame received, in order.</summary>
    public IReadOnlyCollection<JsonObject> Frames => _all;

    /// <summary>The <c>connected</c> system frame.</summary>
    public Task<JsonObject> Connected => _connected.Task;

    /// <summary>Completes with the close status once the server closed the connection.</summary>
    public TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The connection id from the <c>connected</c> frame.</summary>
    public string ConnectionId => Connected.IsCompletedSuccessfully ? (string)Connected.Result["connectionId"]! : throw new InvalidOperationException("Not connected yet.");

    /// <summary>Gets a client URL from <c>/negotiate</c> and connects to it.</summary>
    public static async Task<PubSubTestClient> ConnectAsync(Uri server, string hub, string? userId, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = DefaultTimeout };
        var negotiate = await http.GetFromJsonAsync<JsonObject>($"negotiate?hub={Uri.EscapeDataString(hub)}&userId={Uri.EscapeDataString(userId ?? "")}", cancellationToken)
            .WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return await ConnectUrlAsync(new Uri((string)negotiate!["url"]!), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects to a client access URL and waits for the <c>connected</c> frame.</summary>
    /// <param name="url">The client access URL.</param>
    /// <param name="configureSocket">Adjusts the TCP socket before it connects (source address, buffer sizes).</param>
    /// <param name="read">False for a client that never reads: nothing is received, so the server's frames pile up.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    public static async Task<PubSubTestClient> ConnectUrlAsync(Uri url, Action<Socket>? configureSocket = null, bool read = true, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var invoker = SocketInvoker.Create(configureSocket);
        await socket.ConnectAsync(url, invoker, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        var client = new PubSubTestClient(socket, read);
        if (read)
        {
            await client.Connected.WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>Waits for a frame matching <paramref name="predicate"/> (already received or still to come).</summary>
    public Task<JsonObject> WaitForFrameAsync(Func<JsonObject, bool> predicate, CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((predicate, waiter));
            foreach (var frame in _all)
            {
                if (predicate(frame))
                {
                    waiter.TrySetResult(frame);
                    break;
                }
            }
        }

        return waiter.Task.WaitAsync(DefaultTimeout, cancellationToken);
    }

    /// <summary>Sends a raw text frame.</summary>
    public Task SendRawAsync(string text, CancellationToken cancellationToken = default) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken);

    /// <summary>Sends a request object; returns the ack when <paramref name="withAck"/> is true.</summary>
    public async Task<AckFrame?> SendAsync(JsonObject request, bool withAck = true, CancellationToken cancellationToken = default)
    {
        if (!withAck)
        {
            await SendRawAsync(request.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await (await SendWithoutWaitingAsync(request, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Sends a request without waiting for its ack; the returned task completes with the ack.</summary>
    public async Task<Task<AckFrame>> SendWithoutWaitingAsync(JsonObject request, CancellationToken cancellationToken = default)
    {
        var ackId = (ulong)Interlocked.Increment(ref _nextAckId);
        request["ackId"] = ackId;
        var waiter = _acks.GetOrAdd(ackId, _ => new TaskCompletionSource<AckFrame>(TaskCreationOptions.RunContinuationsAsynchronously));
        await SendRawAsync(request.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return waiter.Task.WaitAsync(DefaultTimeout, cancellationToken);
    }

    /// <summary>Joins a group and returns its ack.</summary>
    public Task<AckFrame?> JoinGroupAsync(string group, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { ["type"] = "joinGroup", ["group"] = group }, true, cancellationToken);

    /// <summary>Leaves a group and returns its ack.</summary>
    public Task<AckFrame?> LeaveGroupAsync(string group, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { ["type"] = "leaveGroup", ["group"] = group }, true, cancellationToken);

    /// <summary>Sends JSON data to a group and returns its ack.</summary>
    public Task<AckFrame?> SendToGroupAsync(string group, JsonNode data, bool noEcho = false, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = group, ["dataType"] = "json", ["data"] = data, ["noEcho"] = noEcho }, true, cancellationToken);

    /// <summary>Sends an application ping and waits for the pong.</summary>
    public async Task<JsonObject> PingAsync(CancellationToken cancellationToken = default)
    {
        await SendRawAsync("""{"type":"ping"}""", cancellationToken).ConfigureAwait(false);
        return await _pong.Task.WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next data message (<c>type</c> = message), in arrival order.</summary>
    public async Task<JsonObject> NextMessageAsync(CancellationToken cancellationToken = default) =>
        (await NextMessageWithTimestampAsync(cancellationToken).ConfigureAwait(false)).Frame;

    /// <summary>The next data message with the <see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival.</summary>
    public Task<(JsonObject Frame, long ReceivedAt)> NextMessageWithTimestampAsync(CancellationToken cancellationToken = default) =>
        _messages.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(DefaultTimeout, cancellationToken);

    /// <summary>A data message already received, if any, without waiting.</summary>
    public bool TryTakeMessage(out JsonObject? message)
    {
        var taken = _messages.Reader.TryRead(out var item);
        message = taken ? item.Frame : null;
        return taken;
    }

    /// <summary>Waits until the server closes the connection and returns its close status and reason.</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> WaitForCloseAsync(CancellationToken cancellationToken = default) =>
        Closed.Task.WaitAsync(DefaultTimeout, cancellationToken);

    /// <summary>Closes the connection cleanly.</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(DefaultTimeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException)
            {
                _socket.Abort();
            }
        }
    }

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void Abort() => _socket.Abort();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _receiveLoop.WaitAsync(DefaultTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Closed.TrySetResult((_socket.CloseStatus, _socket.CloseStatusDescription));
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).ConfigureAwait(false);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var frame = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length))!.AsObject();
                message.SetLength(0);
                Route(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or JsonException or ObjectDisposedException)
        {
            // ObjectDisposedException: Abort() disposed the socket between two reads.
            Closed.TrySetResult((null, ex.Message));
        }
        finally
        {
            _connected.TrySetException(new InvalidOperationException("The connection closed before it was connected."));
            foreach (var waiter in _acks.Values)
            {
                waiter.TrySetException(new InvalidOperationException("The connection closed before the ack arrived."));
            }
        }
    }

    private void Route(JsonObject frame)
    {
        lock (_waiters)
        {
            _all.Enqueue(frame);
            foreach (var (predicate, waiter) in _waiters)
            {
                if (!waiter.Task.IsCompleted && predicate(frame))
                {
                    waiter.TrySetResult(frame);
                }
            }
        }

        switch ((string?)frame["type"])
        {
            case "system" when (string?)frame["event"] == "connected":
                _connected.TrySetResult(frame);
                break;
            case "ack":
                var ackId = (ulong)frame["ackId"]!;
                var error = frame["error"] as JsonObject;
                var ack = new AckFrame(ackId, (bool)frame["success"]!, (string?)error?["name"], (string?)error?["message"]);
                _acks.GetOrAdd(ackId, _ => new TaskCompletionSource<AckFrame>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(ack);
                break;
            case "message":
                if (!_messages.Writer.TryWrite((frame, System.Diagnostics.Stopwatch.GetTimestamp())))
                {
                    throw new InvalidOperationException("The test client's message queue is full; read messages as they arrive.");
                }

                break;
            case "pong":
                _pong.TrySetResult(frame);
                break;
        }
    }
}
