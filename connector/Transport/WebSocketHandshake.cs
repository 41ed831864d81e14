using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace BrokerChat.Connector.Transport;

/// <summary>The parts of an HTTP/1.1 request head that a WebSocket upgrade needs.</summary>
internal sealed class HttpRequestHead
{
    private readonly List<KeyValuePair<string, string>> _headers;
    private Dictionary<string, StringValues>? _queryValues;

    private HttpRequestHead(string path, string query, List<KeyValuePair<string, string>> headers)
    {
        Path = path;
        Query = query;
        _headers = headers;
    }

    /// <summary>The request path, still percent-encoded.</summary>
    public string Path { get; }

    /// <summary>The query string without its leading <c>?</c>.</summary>
    public string Query { get; }

    /// <summary>The values of every header named <paramref name="name"/>, joined with commas; null when absent.</summary>
    public string? this[string name]
    {
        get
        {
            // Joined once at the end: appending repeat by repeat would cost the square of a head of repeated headers.
            string? first = null;
            List<string>? all = null;
            foreach (var (key, headerValue) in _headers)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    if (first is null)
                    {
                        first = headerValue;
                    }
                    else
                    {
                        (all ??= [first]).Add(headerValue);
                    }
                }
            }

            return all is null ? first : string.Join(',', all);
        }
    }

    /// <summary>Every header, name and value, in the order they came.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>The query string's values, parsed on first use.</summary>
    public Dictionary<string, StringValues> QueryValues => _queryValues ??= QueryHelpers.ParseQuery(Query);

    /// <summary>The first value of query parameter <paramref name="name"/>, or null.</summary>
    public string? QueryValue(string name) => QueryValues.TryGetValue(name, out var values) ? values.ToString() : null;

    /// <summary>
    /// Parses a request head (request line and headers, up to the blank line). Returns null for anything that is not a
    /// well-formed HTTP/1.1 GET request; the HTTP server, which sees the same bytes next, then answers it.
    /// </summary>
    public static HttpRequestHead? Parse(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "GET" || requestLine[2] != "HTTP/1.1" || !requestLine[1].StartsWith('/'))
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length);
        foreach (var line in lines.AsSpan(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t' || line.AsSpan(0, colon).ContainsAny(" \t"))
            {
                return null; // no folded lines, no whitespace before the colon (RFC 9112 §5)
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        var target = requestLine[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        return question < 0
            ? new HttpRequestHead(target, "", headers)
            : new HttpRequestHead(target[..question], target[(question + 1)..], headers);
    }
}

/// <summary>The server side of the WebSocket opening handshake (RFC 6455 §4.2).</summary>
internal static class WebSocketHandshake
{
    /// <summary>The largest request head accepted, as Kestrel's default for all headers together.</summary>
    public const int MaxHeadBytes = 32 * 1024;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary><c>GET /client</c>: how the request line of every client-endpoint request starts (the path in lower case).</summary>
    private static readonly byte[] s_clientRequestStart = Encoding.ASCII.GetBytes("GET " + WebPubSubClientPaths.Client.ToLowerInvariant());

    /// <summary>Whether a connection's first bytes are a client-endpoint request this handshake serves.</summary>
    public enum Route
    {
        /// <summary>Not a <c>GET /client…</c> request: the HTTP server handles the connection.</summary>
        Pass,

        /// <summary>Too few bytes to tell.</summary>
        NeedMore,

        /// <summary>A request for the client endpoint.</summary>
        ClientEndpoint,
    }

    /// <summary>Decides from a connection's first bytes whether it asks for the client endpoint.</summary>
    public static Route Classify(in ReadOnlySequence<byte> buffer)
    {
        ReadOnlySpan<byte> prefix = s_clientRequestStart;
        Span<byte> start = stackalloc byte[prefix.Length + 1];
        var available = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, available).CopyTo(start);
        for (var i = 0; i < available && i < prefix.Length; i++)
        {
            // The method is case-sensitive, the path is not (as the HTTP routes are).
            var expected = prefix[i];
            var actual = i >= 4 ? (byte)char.ToLowerInvariant((char)start[i]) : start[i];
            if (actual != expected)
            {
                return Route.Pass;
            }
        }

        if (available <= prefix.Length)
        {
            return Route.NeedMore;
        }

        return start[prefix.Length] is (byte)'/' or (byte)'?' or (byte)' ' ? Route.ClientEndpoint : Route.Pass;
    }

    /// <summary>Finds the end of the request head (the blank line); false when it has not all arrived.</summary>
    public static bool TryFindHeadEnd(in ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            end = reader.Position;
            return true;
        }

        end = default;
        return false;
    }

    /// <summary>
    /// Checks the headers every HTTP/1.1 WebSocket upgrade must carry. Returns null when they are fine, else the status
    /// code (400, or 426 for an unsupported version) and why.
    /// </summary>
    public static (int Status, string Reason)? CheckUpgradeHeaders(string? upgrade, string? connection, string? version, string? key)
    {
        if (!HasToken(upgrade, "websocket") || !HasToken(connection, "upgrade"))
        {
            return (400, "This endpoint accepts WebSocket connections only.");
        }

        if (version?.Trim() != "13")
        {
            return (426, "Only WebSocket version 13 is supported.");
        }

        Span<byte> decoded = stackalloc byte[18];
        if (key is null || !Convert.TryFromBase64String(key.Trim(), decoded, out var length) || length != 16)
        {
            return (400, "Sec-WebSocket-Key must be 16 bytes in base64.");
        }

        return null;
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a client's key.</summary>
#pragma warning disable CA5350 // RFC 6455 §4.2.2 defines the accept value with SHA-1; it is not used for security here.
    public static string AcceptValue(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid)));
#pragma warning restore CA5350

    /// <summary>Whether a comma-separated header value contains <paramref name="token"/> (case-insensitive).</summary>
    public static bool HasToken(string? value, string token)
    {
        if (value is null)
        {
            return false;
        }

        foreach (var part in value.Split(','))
        {
            if (part.AsSpan().Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The subprotocols a client offered, in its order.</summary>
    public static string[] Protocols(string? header) =>
        header is null ? [] : header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Writes the 101 response that completes the handshake.</summary>
    public static void WriteAccept(PipeWriter output, string key, string? subprotocol)
    {
        var response = new StringBuilder(192)
            .Append("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ")
            .Append(AcceptValue(key))
            .Append("\r\n");
        if (subprotocol is not null)
        {
            response.Append("Sec-WebSocket-Protocol: ").Append(subprotocol).Append("\r\n");
        }

        output.Write(Encoding.ASCII.GetBytes(response.Append("\r\n").ToString()));
    }

    /// <summary>Writes a refusal (a plain-text body saying why) after which the connection is closed.</summary>
    public static void WriteRefusal(PipeWriter output, int status, string reason)
    {
        var body = Encoding.UTF8.GetBytes(reason);
        var head = new StringBuilder(160)
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrases.GetReasonPhrase(status)).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n");
        if (status == 426)
        {
            head.Append("Sec-WebSocket-Version: 13\r\n");
        }

        output.Write(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        output.Write(body);
    }
}
