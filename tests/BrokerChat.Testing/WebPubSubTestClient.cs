using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Testing;

/// <summary>An ack as the client saw it.</summary>
public sealed record AckFrame(ulong AckId, bool Success, string? ErrorName, string? ErrorMessage);

/// <summary>A numbered data message of a reliable session: its sequence id, its group (null when from the server) and the <c>n</c> of its JSON data.</summary>
public sealed record SequencedMessage(ulong SequenceId, string? Group, int N);

/// <summary>
/// A Web PubSub client of the JSON subprotocols (<c>json.webpubsub.azure.v1</c>, or with
/// <see cref="WebPubSubTestClientOptions.Reliable"/> <c>json.reliable.webpubsub.azure.v1</c>) over a real
/// <see cref="ClientWebSocket"/>, for tests and tools. It records every frame, answers ack waits, queues data messages
/// in arrival order, and keeps the connection id and the latest reconnection token of every <c>connected</c> frame. It
/// does nothing on its own: no keep-alive pings, no <c>sequenceAck</c> unless told, so a test controls what the server
/// sees. Tests that need frames a well-behaved client would not send use <see cref="RawWebSocket"/>.
/// </summary>
public sealed class WebPubSubTestClient : IAsyncDisposable
{
    /// <summary>How long any single wait may take before the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket;
    private readonly WebPubSubTestClientOptions _options;
    private readonly Channel<(JsonObject Frame, long ReceivedAt, long Index)> _messages = Channel.CreateBounded<(JsonObject, long, long)>(100_000);
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<AckFrame>> _acks = new();
    private readonly ConcurrentDictionary<ulong, long> _ackIndexes = new();
    private readonly ConcurrentQueue<JsonObject> _all = new();
    private readonly TaskCompletionSource<JsonObject> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private readonly List<(Func<JsonObject, bool> Predicate, long From, TaskCompletionSource<JsonObject> Waiter)> _waiters = [];
    private long _frameCount;
    private long _nextAckId;
    private volatile string? _connectionId;
    private volatile string? _reconnectionToken;

    private WebPubSubTestClient(ClientWebSocket socket, WebPubSubTestClientOptions options, string? connectionId, string? reconnectionToken)
    {
        _socket = socket;
        _options = options;
        _connectionId = connectionId;
        _reconnectionToken = reconnectionToken;
        _receiveLoop = options.Read ? Task.Run(ReceiveLoopAsync) : Task.CompletedTask;
    }

    /// <summary>Every frame received, in order.</summary>
    public IReadOnlyCollection<JsonObject> Frames => _all;

    /// <summary>The first <c>connected</c> system frame of this socket.</summary>
    public Task<JsonObject> Connected => _connected.Task;

    /// <summary>Completes with the close status once the server closed the connection (or it was lost).</summary>
    public TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The subprotocol this client speaks.</summary>
    public string Subprotocol => _options.Subprotocol;

    /// <summary>The connection id from the latest <c>connected</c> frame (a resumed client starts with its session's).</summary>
    public string ConnectionId => _connectionId ?? throw new InvalidOperationException("Not connected yet.");

    /// <summary>The reconnection token of the latest <c>connected</c> frame that carried one; null on a non-reliable connection.</summary>
    public string? ReconnectionToken => _reconnectionToken;

    /// <summary>Gets a client URL from <c>/negotiate</c> and connects to it.</summary>
    public static async Task<WebPubSubTestClient> ConnectAsync(Uri server, string hub, string? userId, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = DefaultTimeout };
        var negotiate = await http.GetFromJsonAsync<JsonObject>($"negotiate?hub={Uri.EscapeDataString(hub)}&userId={Uri.EscapeDataString(userId ?? "")}", cancellationToken)
            .WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return await ConnectUrlAsync(new Uri((string)negotiate!["url"]!), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects to a client access URL and, unless the client does not read, waits for the <c>connected</c> frame.</summary>
    /// <param name="url">The client access URL.</param>
    /// <param name="options">The subprotocol and socket options; <see cref="WebPubSubTestClientOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    public static async Task<WebPubSubTestClient> ConnectUrlAsync(Uri url, WebPubSubTestClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= WebPubSubTestClientOptions.Default;
        var client = await OpenAsync(url, options, null, null, cancellationToken).ConfigureAwait(false);
        if (options.Read)
        {
            await client.Connected.WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>
    /// Resumes this client's reliable session on <paramref name="url"/> (a client URL, to which <c>awps_connection_id</c>
    /// and <c>awps_reconnection_token</c> are added) as a new client, which starts with this one's connection id and
    /// token. It does not wait for <c>connected</c>: a refused recovery is answered with <c>disconnected</c> and a close.
    /// </summary>
    public async Task<WebPubSubTestClient> ResumeAsync(Uri url, CancellationToken cancellationToken = default)
    {
        if (!_options.Reliable || _reconnectionToken is not { } token)
        {
            throw new InvalidOperationException("Only a reliable client that got a reconnection token can resume.");
        }

        var resumeUrl = new Uri($"{url}{(url.Query.Length > 0 ? "&" : "?")}{WebPubSubQueryParameters.ConnectionId}={Uri.EscapeDataString(ConnectionId)}&{WebPubSubQueryParameters.ReconnectionToken}={Uri.EscapeDataString(token)}");
        return await OpenAsync(resumeUrl, _options with { Read = true }, ConnectionId, token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a frame matching <paramref name="predicate"/> (already received or still to come).</summary>
    public Task<JsonObject> WaitForFrameAsync(Func<JsonObject, bool> predicate, CancellationToken cancellationToken = default) =>
        WaitForFrameAsync(predicate, 0, cancellationToken);

    /// <summary>Sends a raw text frame.</summary>
    public async Task SendRawAsync(string text, CancellationToken cancellationToken = default)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Sends a request object; returns the ack when <paramref name="withAck"/> is true (an <c>ackId</c> is then added).</summary>
    public async Task<AckFrame?> SendAsync(JsonObject request, bool withAck = true, CancellationToken cancellationToken = default)
    {
        if (!withAck)
        {
            await SendRawAsync(request.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await (await SendWithoutWaitingAsync(request, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Sends a request with a new <c>ackId</c> without waiting for its ack; the returned task completes with the ack.</summary>
    public Task<Task<AckFrame>> SendWithoutWaitingAsync(JsonObject request, CancellationToken cancellationToken = default)
    {
        var ackId = NextAckId();
        request[WebPubSubFields.AckId] = ackId;
        return SendWithAckIdAsync(request, ackId, cancellationToken);
    }

    /// <summary>Joins a group and returns its ack.</summary>
    public Task<AckFrame?> JoinGroupAsync(string group, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.JoinGroup, [WebPubSubFields.Group] = group }, true, cancellationToken);

    /// <summary>
    /// Joins a group, asking for <paramref name="history"/> messages and presence messages when given, and fails unless
    /// the ack is a success. Returns the data messages that came before the ack (the history), taken off the message
    /// queue so that later reads see what follows.
    /// </summary>
    public async Task<List<JsonObject>> JoinAndTakeHistoryAsync(string group, int? history = null, bool presence = false, CancellationToken cancellationToken = default)
    {
        var ackId = NextAckId();
        var request = new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.JoinGroup, [WebPubSubFields.Group] = group, [WebPubSubFields.AckId] = ackId };
        if (history is { } count)
        {
            request[WebPubSubFields.History] = count;
        }

        if (presence)
        {
            request[WebPubSubFields.Presence] = true;
        }

        var ack = await (await SendWithAckIdAsync(request, ackId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        if (!ack.Success)
        {
            throw new InvalidOperationException($"Join failed: {ack}");
        }

        // The ack is routed after every frame before it, so those messages are all queued by now.
        var ackAt = _ackIndexes[ackId];
        var before = new List<JsonObject>();
        while (_messages.Reader.TryPeek(out var next) && next.Index < ackAt && _messages.Reader.TryRead(out next))
        {
            before.Add(next.Frame);
        }

        return before;
    }

    /// <summary>Leaves a group and returns its ack.</summary>
    public Task<AckFrame?> LeaveGroupAsync(string group, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.LeaveGroup, [WebPubSubFields.Group] = group }, true, cancellationToken);

    /// <summary>Sends JSON data to a group and returns its ack.</summary>
    public Task<AckFrame?> SendToGroupAsync(string group, JsonNode data, bool noEcho = false, CancellationToken cancellationToken = default) =>
        SendAsync(new JsonObject
        {
            [WebPubSubFields.Type] = WebPubSubMessageTypes.SendToGroup,
            [WebPubSubFields.Group] = group,
            [WebPubSubFields.DataType] = WebPubSubDataTypes.Json,
            [WebPubSubFields.Data] = data,
            [WebPubSubFields.NoEcho] = noEcho,
        }, true, cancellationToken);

    /// <summary>
    /// Sends an application ping and waits for the pong that answers it. The server handles a connection's frames in
    /// order, so once it is back everything sent before the ping has been read.
    /// </summary>
    public async Task<JsonObject> PingAsync(CancellationToken cancellationToken = default)
    {
        long from;
        lock (_waiters)
        {
            from = _frameCount;
        }

        var pong = WaitForFrameAsync(f => (string?)f[WebPubSubFields.Type] == WebPubSubMessageTypes.Pong, from, cancellationToken);
        await SendRawAsync(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.Ping }.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return await pong.ConfigureAwait(false);
    }

    /// <summary>
    /// Acknowledges the messages up to <paramref name="sequenceId"/> (<c>sequenceAck</c>) and waits until the server has
    /// read it (a ping answered after it).
    /// </summary>
    public async Task AcknowledgeAsync(ulong sequenceId, CancellationToken cancellationToken = default)
    {
        await SendRawAsync(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.SequenceAck, [WebPubSubFields.SequenceId] = sequenceId }.ToJsonString(), cancellationToken).ConfigureAwait(false);
        await PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next data message (<c>type</c> = message), in arrival order.</summary>
    public async Task<JsonObject> NextMessageAsync(CancellationToken cancellationToken = default) =>
        (await NextMessageWithTimestampAsync(cancellationToken).ConfigureAwait(false)).Frame;

    /// <summary>The next data message with the <see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival.</summary>
    public async Task<(JsonObject Frame, long ReceivedAt)> NextMessageWithTimestampAsync(CancellationToken cancellationToken = default)
    {
        var (frame, receivedAt, _) = await _messages.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return (frame, receivedAt);
    }

    /// <summary>A data message already received, if any, without waiting.</summary>
    public bool TryTakeMessage(out JsonObject? message)
    {
        var taken = _messages.Reader.TryRead(out var item);
        message = taken ? item.Frame : null;
        return taken;
    }

    /// <summary>Reads the next <paramref name="count"/> data messages of a reliable session.</summary>
    public async Task<List<SequencedMessage>> ReadMessagesAsync(int count, CancellationToken cancellationToken = default)
    {
        var messages = new List<SequencedMessage>();
        while (messages.Count < count)
        {
            messages.Add(await NextSequencedMessageAsync(cancellationToken).ConfigureAwait(false));
        }

        return messages;
    }

    /// <summary>Reads data messages of a reliable session up to and including the first that matches <paramref name="last"/>.</summary>
    public async Task<List<SequencedMessage>> ReadUntilAsync(Func<SequencedMessage, bool> last, CancellationToken cancellationToken = default)
    {
        var messages = new List<SequencedMessage>();
        while (true)
        {
            var message = await NextSequencedMessageAsync(cancellationToken).ConfigureAwait(false);
            messages.Add(message);
            if (last(message))
            {
                return messages;
            }
        }
    }

    /// <summary>Waits until the server closes the connection and returns its close status and reason.</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> WaitForCloseAsync(CancellationToken cancellationToken = default) =>
        Closed.Task.WaitAsync(DefaultTimeout, cancellationToken);

    /// <summary>Closes the connection cleanly (1000, which also ends a reliable session).</summary>
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

    /// <summary>Drops the TCP connection without a close frame (a reliable session then waits to be resumed).</summary>
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
        _sending.Dispose();
    }

    private static async Task<WebPubSubTestClient> OpenAsync(Uri url, WebPubSubTestClientOptions options, string? connectionId, string? reconnectionToken, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(options.Subprotocol);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var invoker = SocketInvoker.Create(options.ConfigureSocket, options.CreateSocket);
        try
        {
            await socket.ConnectAsync(url, invoker, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WebPubSubTestClient(socket, options, connectionId, reconnectionToken);
    }

    private ulong NextAckId() => (ulong)Interlocked.Increment(ref _nextAckId);

    private async Task<Task<AckFrame>> SendWithAckIdAsync(JsonObject request, ulong ackId, CancellationToken cancellationToken)
    {
        var waiter = _acks.GetOrAdd(ackId, _ => new TaskCompletionSource<AckFrame>(TaskCreationOptions.RunContinuationsAsynchronously));
        await SendRawAsync(request.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return waiter.Task.WaitAsync(DefaultTimeout, cancellationToken);
    }

    /// <summary>Waits for a frame matching <paramref name="predicate"/> among those from the <paramref name="from"/>th on.</summary>
    private Task<JsonObject> WaitForFrameAsync(Func<JsonObject, bool> predicate, long from, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((predicate, from, waiter));
            foreach (var frame in _all.Skip((int)from))
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

    private async Task<SequencedMessage> NextSequencedMessageAsync(CancellationToken cancellationToken)
    {
        var frame = await NextMessageAsync(cancellationToken).ConfigureAwait(false);
        return new SequencedMessage((ulong)frame[WebPubSubFields.SequenceId]!, (string?)frame[WebPubSubFields.Group], (int)frame[WebPubSubFields.Data]!["n"]!);
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

            // What was received can still be read; a read beyond it fails at once rather than after a timeout.
            _messages.Writer.TryComplete(new InvalidOperationException("The connection closed."));
        }
    }

    private void Route(JsonObject frame)
    {
        long index;
        lock (_waiters)
        {
            index = _frameCount++;
            _all.Enqueue(frame);
            foreach (var (predicate, from, waiter) in _waiters)
            {
                if (index >= from && !waiter.Task.IsCompleted && predicate(frame))
                {
                    waiter.TrySetResult(frame);
                }
            }

            _waiters.RemoveAll(w => w.Waiter.Task.IsCompleted);
        }

        switch ((string?)frame[WebPubSubFields.Type])
        {
            case WebPubSubMessageTypes.System when (string?)frame[WebPubSubFields.Event] == WebPubSubSystemEvents.Connected:
                _connectionId = (string?)frame[WebPubSubFields.ConnectionId] ?? _connectionId;
                _reconnectionToken = (string?)frame[WebPubSubFields.ReconnectionToken] ?? _reconnectionToken;
                _connected.TrySetResult(frame);
                break;
            case WebPubSubMessageTypes.Ack:
                var ackId = (ulong)frame[WebPubSubFields.AckId]!;
                var error = frame[WebPubSubFields.Error] as JsonObject;
                var ack = new AckFrame(ackId, (bool)frame[WebPubSubFields.Success]!, (string?)error?[WebPubSubFields.Name], (string?)error?[WebPubSubFields.Message]);
                _ackIndexes[ackId] = index;
                _acks.GetOrAdd(ackId, _ => new TaskCompletionSource<AckFrame>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(ack);
                break;
            case WebPubSubMessageTypes.Message:
                if (!_messages.Writer.TryWrite((frame, System.Diagnostics.Stopwatch.GetTimestamp(), index)))
                {
                    throw new InvalidOperationException("The test client's message queue is full; read messages as they arrive.");
                }

                break;
        }
    }
}
