using System.Text;
using System.Text.Json.Nodes;

namespace BrokerChat.Testing;

/// <summary>
/// A <c>json.reliable.webpubsub.azure.v1</c> client on a raw socket, for tests that control every step: it keeps the
/// latest reconnection token (from every <c>connected</c> frame), acknowledges only when told, and resumes with
/// <c>awps_connection_id</c> and <c>awps_reconnection_token</c>.
/// </summary>
public sealed class ReliableClient : IAsyncDisposable
{
    /// <summary>The reliable JSON subprotocol.</summary>
    public const string Subprotocol = "json.reliable.webpubsub.azure.v1";

    private readonly RawWebSocket _socket;
    private ulong _nextAckId;

    private ReliableClient(RawWebSocket socket) => _socket = socket;

    /// <summary>A data message: its sequence id, its group (null when from the server) and the <c>n</c> of its JSON data.</summary>
    public sealed record Message(ulong SequenceId, string? Group, int N);

    public string ConnectionId { get; private set; } = "";

    public string ReconnectionToken { get; private set; } = "";

    /// <summary>Connects and waits for <c>connected</c>.</summary>
    public static async Task<ReliableClient> ConnectAsync(Uri url, CancellationToken cancellationToken, string subprotocol = Subprotocol)
    {
        var socket = await RawWebSocket.ConnectAsync(url, cancellationToken, subprotocol).ConfigureAwait(false);
        if (socket.Status != 101)
        {
            throw new InvalidOperationException($"The upgrade was answered {socket.Status}.");
        }

        var client = new ReliableClient(socket);
        await client.ReadFrameAsync(f => (string?)f["event"] == "connected", cancellationToken).ConfigureAwait(false);
        return client;
    }

    /// <summary>Resumes this client's session on <paramref name="url"/> (a client URL, to which the recovery parameters are added).</summary>
    public async Task<ReliableClient> ResumeAsync(Uri url, CancellationToken cancellationToken)
    {
        var resumeUrl = new Uri($"{url}{(url.Query.Length > 0 ? "&" : "?")}awps_connection_id={Uri.EscapeDataString(ConnectionId)}&awps_reconnection_token={Uri.EscapeDataString(ReconnectionToken)}");
        var socket = await RawWebSocket.ConnectAsync(resumeUrl, cancellationToken, Subprotocol).ConfigureAwait(false);
        if (socket.Status != 101)
        {
            throw new InvalidOperationException($"The recovery upgrade was answered {socket.Status}.");
        }

        return new ReliableClient(socket) { ConnectionId = ConnectionId, ReconnectionToken = ReconnectionToken };
    }

    /// <summary>
    /// Joins a group (asking for <paramref name="history"/> messages and presence messages when given) and waits for its
    /// ack; returns the data messages that came before the ack (the history).
    /// </summary>
    public async Task<List<JsonObject>> JoinAsync(string group, CancellationToken cancellationToken, int? history = null, bool presence = false)
    {
        var ackId = ++_nextAckId;
        var request = new JsonObject { ["type"] = "joinGroup", ["group"] = group, ["ackId"] = ackId };
        if (history is { } count)
        {
            request["history"] = count;
        }

        if (presence)
        {
            request["presence"] = true;
        }

        await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var before = new List<JsonObject>();
        var ack = await ReadFrameAsync(f =>
        {
            if ((string?)f["type"] == "message")
            {
                before.Add(f);
            }

            return (string?)f["type"] == "ack" && (ulong?)f["ackId"] == ackId;
        }, cancellationToken).ConfigureAwait(false);
        if (ack["success"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"Join failed: {ack.ToJsonString()}");
        }

        return before;
    }

    /// <summary>Acknowledges messages up to <paramref name="sequenceId"/>, and waits until the server has read it (a ping answered after it).</summary>
    public async Task AcknowledgeAsync(ulong sequenceId, CancellationToken cancellationToken)
    {
        await SendAsync(new JsonObject { ["type"] = "sequenceAck", ["sequenceId"] = sequenceId }, cancellationToken).ConfigureAwait(false);
        await SendAsync(new JsonObject { ["type"] = "ping" }, cancellationToken).ConfigureAwait(false);
        await ReadFrameAsync(f => (string?)f["type"] == "pong", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads until <paramref name="count"/> data messages arrived; returns them.</summary>
    public async Task<List<Message>> ReadMessagesAsync(int count, CancellationToken cancellationToken)
    {
        var messages = new List<Message>();
        while (messages.Count < count)
        {
            messages.Add(await NextMessageAsync(cancellationToken).ConfigureAwait(false));
        }

        return messages;
    }

    /// <summary>Reads data messages up to and including the first that matches.</summary>
    public async Task<List<Message>> ReadUntilAsync(Func<Message, bool> last, CancellationToken cancellationToken)
    {
        var messages = new List<Message>();
        while (true)
        {
            var message = await NextMessageAsync(cancellationToken).ConfigureAwait(false);
            messages.Add(message);
            if (last(message))
            {
                return messages;
            }
        }
    }

    /// <summary>Reads frames until one matches; keeps the token of every <c>connected</c> frame on the way.</summary>
    public async Task<JsonObject> ReadFrameAsync(Func<JsonObject, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await _socket.ReadFrameAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The connection ended.");
            if (frame.Opcode == 8)
            {
                throw new InvalidOperationException($"The server closed the connection: {frame.CloseCode} {frame.CloseReason}");
            }

            if (frame.Opcode != 1)
            {
                continue;
            }

            var json = JsonNode.Parse(frame.Text)!.AsObject();
            if ((string?)json["event"] == "connected")
            {
                ConnectionId = (string)json["connectionId"]!;
                ReconnectionToken = (string?)json["reconnectionToken"] ?? ReconnectionToken;
            }

            if (predicate(json))
            {
                return json;
            }
        }
    }

    /// <summary>Reads until the server's close frame; returns its code and reason.</summary>
    public async Task<(int Code, string Reason)> ReadCloseAsync(CancellationToken cancellationToken)
    {
        var close = await _socket.ReadUntilAsync(f => f.Opcode == 8, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The connection ended without a close frame.");
        return (close.CloseCode, close.CloseReason);
    }

    /// <summary>Closes the TCP connection at once, with no close frame.</summary>
    public void Abort() => _socket.Abort();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private async Task<Message> NextMessageAsync(CancellationToken cancellationToken)
    {
        var frame = await ReadFrameAsync(f => (string?)f["type"] == "message", cancellationToken).ConfigureAwait(false);
        return new Message((ulong)frame["sequenceId"]!, (string?)frame["group"], (int)frame["data"]!["n"]!);
    }

    private Task SendAsync(JsonObject request, CancellationToken cancellationToken) =>
        _socket.SendTextAsync(request.ToJsonString(), cancellationToken);
}
