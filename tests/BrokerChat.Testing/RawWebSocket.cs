using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Testing;

/// <summary>One frame as it came off the wire.</summary>
/// <param name="Fin">The final-fragment bit.</param>
/// <param name="Opcode">The opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong).</param>
/// <param name="Payload">The payload (server frames are not masked).</param>
public sealed record RawFrame(bool Fin, int Opcode, byte[] Payload)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>The status code of a close frame.</summary>
    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;

    /// <summary>The reason of a close frame.</summary>
    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";
}

/// <summary>
/// A WebSocket client written over a bare TCP socket, for tests that need what a well-behaved client library will
/// not do: frames that break the protocol, fragments, unmasked frames, and a peer that does not answer pings (a
/// half-open or hung client). It does nothing on its own: every byte is sent and read when the test says so.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawWebSocket(Socket socket, int status, string responseHead)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Status = status;
        ResponseHead = responseHead;
    }

    /// <summary>The HTTP status of the handshake response (101 when the upgrade was accepted).</summary>
    public int Status { get; }

    /// <summary>The handshake response head.</summary>
    public string ResponseHead { get; }

    /// <summary>Opens a connection and performs the handshake.</summary>
    /// <param name="url">The client URL (ws://127.0.0.1:port/…).</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <param name="subprotocol">The subprotocol offered, or null for none (a simple WebSocket client).</param>
    /// <param name="version">The Sec-WebSocket-Version sent, or null for none.</param>
    /// <param name="extraHeaders">Header lines added to the request, each ending in CRLF.</param>
    public static async Task<RawWebSocket> ConnectAsync(Uri url, CancellationToken cancellationToken, string? subprotocol = WebPubSubSubprotocols.Json, string? version = "13", string? extraHeaders = null)
    {
        var socket = await OpenAsync(url, cancellationToken).ConfigureAwait(false);
        return await UpgradeAsync(socket, url, cancellationToken, subprotocol, version, extraHeaders).ConfigureAwait(false);
    }

    /// <summary>Opens a TCP connection to the URL's host and port.</summary>
    public static async Task<Socket> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(url.Host), url.Port), cancellationToken).ConfigureAwait(false);
        return socket;
    }

    /// <summary>
    /// Opens a TCP connection and has it carry one plain HTTP request (<c>GET /healthz</c>) first, so that an upgrade
    /// sent on it next reaches the connector through the HTTP pipeline rather than straight off the transport.
    /// </summary>
    public static async Task<Socket> OpenAfterHttpRequestAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = await OpenAsync(url, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n"), cancellationToken).ConfigureAwait(false);
        var response = new StringBuilder();
        var buffer = new byte[1024];
        while (!response.ToString().EndsWith("\r\n\r\nok", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, cancellationToken).AsTask().WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The server closed the connection after the HTTP request: " + response);
            }

            response.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return socket;
    }

    /// <summary>Performs the handshake on a connection that is already open (it may have carried other requests).</summary>
    public static async Task<RawWebSocket> UpgradeAsync(Socket socket, Uri url, CancellationToken cancellationToken, string? subprotocol = WebPubSubSubprotocols.Json, string? version = "13", string? extraHeaders = null)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = new StringBuilder()
            .Append("GET ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(url.Authority).Append("\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        if (version is not null)
        {
            request.Append("Sec-WebSocket-Version: ").Append(version).Append("\r\n");
        }

        if (subprotocol is not null)
        {
            request.Append("Sec-WebSocket-Protocol: ").Append(subprotocol).Append("\r\n");
        }

        request.Append(extraHeaders).Append("\r\n");
        await socket.SendAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);

        // Read the response head a byte at a time so that no frame after it is swallowed.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(one, cancellationToken).AsTask().WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IOException("The server closed the connection during the handshake: " + head);
            }

            head.Append((char)one[0]);
        }

        var text = head.ToString();
        return new RawWebSocket(socket, int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), text);
    }

    /// <summary>Sends one frame with the given first byte (FIN, RSV and opcode bits), masked unless told otherwise.</summary>
    public async Task SendFrameAsync(byte firstByte, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, bool mask = true)
    {
        var header = new byte[14];
        header[0] = firstByte;
        int length;
        if (payload.Length <= 125)
        {
            header[1] = (byte)payload.Length;
            length = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)payload.Length);
            length = 4;
        }
        else
        {
            header[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)payload.Length);
            length = 10;
        }

        var body = payload.ToArray();
        if (mask)
        {
            header[1] |= 0x80;
            var key = RandomNumberGenerator.GetBytes(4);
            key.CopyTo(header, length);
            length += 4;
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i & 3];
            }
        }

        await SendRawAsync(header.AsSpan(0, length).ToArray().Concat(body).ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a whole text message in one masked frame.</summary>
    public Task SendTextAsync(string text, CancellationToken cancellationToken) =>
        SendFrameAsync(0x81, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Sends a close frame with a status code.</summary>
    public Task SendCloseAsync(ushort code, CancellationToken cancellationToken)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return SendFrameAsync(0x88, payload, cancellationToken);
    }

    /// <summary>Sends bytes exactly as given.</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await _socket.SendAsync(bytes, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the next frame; null when the server closed the connection.</summary>
    public async Task<RawFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var header = new byte[10];
        if (!await ReadExactlyAsync(header.AsMemory(0, 2), cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        long length = header[1] & 0x7F;
        if (length == 126 && await ReadExactlyAsync(header.AsMemory(2, 2), cancellationToken).ConfigureAwait(false))
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
        }
        else if (length == 127 && await ReadExactlyAsync(header.AsMemory(2, 8), cancellationToken).ConfigureAwait(false))
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(2));
        }

        var payload = new byte[length];
        return await ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false)
            ? new RawFrame((header[0] & 0x80) != 0, header[0] & 0x0F, payload)
            : null;
    }

    /// <summary>The body of a refused handshake (its <c>Content-Length</c> bytes after the head), as text.</summary>
    public async Task<string> ReadRefusalBodyAsync(CancellationToken cancellationToken)
    {
        var line = ResponseHead.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = line is null ? 0 : int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        return await ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false) ? Encoding.UTF8.GetString(body) : "";
    }

    /// <summary>Reads frames until one matches; null when the connection ended first.</summary>
    public async Task<RawFrame?> ReadUntilAsync(Func<RawFrame, bool> predicate, CancellationToken cancellationToken)
    {
        while (await ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } frame)
        {
            if (predicate(frame))
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>Closes the TCP connection at once.</summary>
    public void Abort() => _socket.Close(0);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    private async Task<bool> ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken).AsTask().WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or SocketException)
        {
            return false;
        }
    }
}
