using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace BrokerChat.Client.Tests.Fakes;

/// <summary>A frame the client sent to the fake server.</summary>
public sealed record ClientFrame(WebSocketMessageType MessageType, byte[] Payload)
{
    public JsonObject Json => JsonNode.Parse(Payload)!.AsObject();

    public IReadOnlyDictionary<string, object?> Map => MsgPack.ReadMap(Payload);
}

/// <summary>One WebSocket accepted by <see cref="FakeWebPubSubServer"/>: records what the client sends, sends what the test says.</summary>
public sealed class FakeConnection
{
    private readonly HttpContext _context;
    private readonly WebSocket _socket;
    private readonly Channel<ClientFrame> _received = Channel.CreateUnbounded<ClientFrame>();
    private readonly List<string?> _taken = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeConnection(HttpContext context, WebSocket socket, Uri requestUri, string? subprotocol)
    {
        _context = context;
        _socket = socket;
        RequestUri = requestUri;
        Subprotocol = subprotocol;
    }

    /// <summary>The URL the client connected to (path and query).</summary>
    public Uri RequestUri { get; }

    /// <summary>The subprotocol the client offered (and the server accepted).</summary>
    public string? Subprotocol { get; }

    /// <summary>One query parameter of the request, decoded.</summary>
    public string? Query(string name) => _context.Request.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    /// <summary>Completes with the client's close status (null when the socket dropped without one).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <summary>The next frame the client sent.</summary>
    public async Task<ClientFrame> NextFrameAsync(CancellationToken cancellationToken) =>
        await _received.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(TestTimeouts.Wait, cancellationToken);

    /// <summary>How many JSON frames of <paramref name="type"/> were taken so far by the Next* methods.</summary>
    public int CountReceived(string type)
    {
        lock (_taken)
        {
            return _taken.Count(t => t == type);
        }
    }

    /// <summary>The next JSON frame whose <c>type</c> is <paramref name="type"/>, skipping others (pings, sequence acks).</summary>
    public async Task<JsonObject> NextJsonAsync(string type, CancellationToken cancellationToken, Func<JsonObject, bool>? predicate = null)
    {
        while (true)
        {
            var frame = (await NextFrameAsync(cancellationToken)).Json;
            lock (_taken)
            {
                _taken.Add((string?)frame["type"]);
            }

            if ((string?)frame["type"] == type && (predicate is null || predicate(frame)))
            {
                return frame;
            }
        }
    }

    /// <summary>The next MessagePack frame whose <c>type</c> is <paramref name="type"/>, skipping others.</summary>
    public async Task<(IReadOnlyDictionary<string, object?> Map, byte[] Payload)> NextMapAsync(string type, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await NextFrameAsync(cancellationToken);
            Assert.Equal(WebSocketMessageType.Binary, frame.MessageType);
            var map = frame.Map;
            if ((string?)map["type"] == type)
            {
                return (map, frame.Payload);
            }
        }
    }

    public Task SendJsonAsync(string json, CancellationToken cancellationToken) =>
        SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, cancellationToken);

    /// <summary>One MessagePack map in a binary message (see <see cref="MsgPack.WriteMap"/>).</summary>
    public Task SendMapAsync(CancellationToken cancellationToken, params (string Key, object? Value)[] fields) =>
        SendAsync(MsgPack.WriteMap(fields), WebSocketMessageType.Binary, cancellationToken);

    /// <summary>The <c>connected</c> system message, as a JSON object or, on a MessagePack subprotocol, as a map.</summary>
    public Task SendConnectedAsync(string connectionId, string? userId, string? reconnectionToken, CancellationToken cancellationToken)
    {
        if (Subprotocol?.StartsWith("msgpack.", StringComparison.Ordinal) == true)
        {
            return SendMapAsync(cancellationToken, ("type", "system"), ("event", "connected"), ("connectionId", connectionId), ("userId", userId), ("reconnectionToken", reconnectionToken));
        }

        var frame = new JsonObject { ["type"] = "system", ["event"] = "connected", ["connectionId"] = connectionId, ["userId"] = userId };
        if (reconnectionToken is not null)
        {
            frame["reconnectionToken"] = reconnectionToken;
        }

        return SendJsonAsync(frame.ToJsonString(), cancellationToken);
    }

    public Task SendAckAsync(ulong ackId, CancellationToken cancellationToken, string? errorName = null, string? errorMessage = null) =>
        SendJsonAsync(errorName is null
            ? $$"""{"type":"ack","ackId":{{ackId}},"success":true}"""
            : new JsonObject
            {
                ["type"] = "ack",
                ["ackId"] = ackId,
                ["success"] = false,
                ["error"] = new JsonObject { ["name"] = errorName, ["message"] = errorMessage },
            }.ToJsonString(), cancellationToken);

    public Task SendGroupTextAsync(string group, string text, ulong? sequenceId, CancellationToken cancellationToken)
    {
        var frame = new JsonObject { ["type"] = "message", ["from"] = "group", ["fromUserId"] = "sender", ["group"] = group, ["dataType"] = "text", ["data"] = text };
        if (sequenceId is not null)
        {
            frame["sequenceId"] = sequenceId;
        }

        return SendJsonAsync(frame.ToJsonString(), cancellationToken);
    }

    public async Task SendAsync(byte[] payload, WebSocketMessageType messageType, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(payload, messageType, endOfMessage: true, cancellationToken).WaitAsync(TestTimeouts.Wait, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Closes the socket with a status, as a server does that refuses a recovery (1008).</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string description, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.CloseOutputAsync(status, description, cancellationToken).WaitAsync(TestTimeouts.Wait, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void Abort()
    {
        if (!_closed.Task.IsCompleted)
        {
            try
            {
                _context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The request already ended.
            }
        }
    }

    internal async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, _context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(_socket.CloseStatus);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    _received.Writer.TryWrite(new ClientFrame(result.MessageType, message.ToArray()));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ConnectionAbortedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _closed.TrySetResult(null);
        }
    }
}
