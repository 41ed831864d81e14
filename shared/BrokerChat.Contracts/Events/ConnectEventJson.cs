using System.Text.Json;
using System.Text.Json.Serialization;

namespace BrokerChat.Contracts.Events;

/// <summary>
/// The JSON bodies of Web PubSub's <c>connect</c> event (<see cref="WebPubSubCloudEvents.ConnectType"/>): the request
/// (<c>claims</c>, <c>query</c>, <c>headers</c>, <c>subprotocols</c>, <c>clientCertificates</c>) and the success
/// response (<c>userId</c>, <c>groups</c>, <c>roles</c>, <c>subprotocol</c>). The connection's hub, id and user travel in
/// the <c>ce-</c> headers. Reading is bounded: at most <see cref="MaxBytes"/> bytes and a depth of 8.
/// </summary>
public static class ConnectEventJson
{
    /// <summary>The largest body read, in bytes.</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 8,
    };

    /// <summary>The request body of <paramref name="connect"/>.</summary>
    public static byte[] WriteRequest(ConnectEvent connect)
    {
        ArgumentNullException.ThrowIfNull(connect);
        return JsonSerializer.SerializeToUtf8Bytes(new RequestBody
        {
            Claims = connect.Claims,
            Query = connect.Query,
            Headers = connect.Headers,
            Subprotocols = connect.Subprotocols,
            ClientCertificates = connect.ClientCertificates ?? [],
        }, Options);
    }

    /// <summary>
    /// The event a request body describes, with the identity from its <c>ce-</c> headers; null (with
    /// <paramref name="error"/>) when the body is not one.
    /// </summary>
    public static ConnectEvent? ReadRequest(string hub, string connectionId, string? userId, ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        if (body.Length > MaxBytes)
        {
            error = $"The connect request is larger than {MaxBytes} bytes.";
            return null;
        }

        try
        {
            var request = body.IsEmpty ? new RequestBody() : JsonSerializer.Deserialize<RequestBody>(body, Options) ?? new RequestBody();
            var claims = request.Claims ?? new Dictionary<string, string[]>();
            return new ConnectEvent(
                hub,
                connectionId,
                userId,
                claims.TryGetValue("role", out var roles) ? roles : [],
                [],
                request.Subprotocols ?? [],
                claims,
                request.Query ?? new Dictionary<string, string[]>(),
                request.Headers ?? new Dictionary<string, string[]>(),
                request.ClientCertificates);
        }
        catch (JsonException ex)
        {
            error = $"The connect request is not valid JSON: {ex.Message}";
            return null;
        }
    }

    /// <summary>The success response body of <paramref name="result"/>.</summary>
    public static byte[] WriteResponse(ConnectEventResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.SerializeToUtf8Bytes(new ResponseBody
        {
            UserId = result.UserId,
            Groups = result.Groups,
            Roles = result.Roles,
            Subprotocol = result.Subprotocol,
        }, Options);
    }

    /// <summary>
    /// The decision a handler's answer carries: a 2xx accepts (its body, when there is one, may set the user id,
    /// groups, roles and subprotocol); 401, 403 and 400 refuse with that status and the body as the reason; anything
    /// else (or a body that is not a response) refuses with 500.
    /// </summary>
    public static ConnectEventResult ReadResponse(int status, ReadOnlySpan<byte> body)
    {
        if (status is >= 200 and < 300)
        {
            if (body.IsEmpty || body.Length > MaxBytes)
            {
                return body.IsEmpty ? ConnectEventResult.Accept() : ConnectEventResult.Refuse(500, "The connect handler's answer is too large.");
            }

            try
            {
                var response = JsonSerializer.Deserialize<ResponseBody>(body, Options) ?? new ResponseBody();
                return new ConnectEventResult
                {
                    Accepted = true,
                    UserId = response.UserId,
                    Groups = response.Groups,
                    Roles = response.Roles,
                    Subprotocol = response.Subprotocol,
                };
            }
            catch (JsonException)
            {
                return ConnectEventResult.Refuse(500, "The connect handler's answer is not valid JSON.");
            }
        }

        var reason = body.Length is > 0 and <= 1024 ? System.Text.Encoding.UTF8.GetString(body) : null;
        return status is 400 or 401 or 403
            ? ConnectEventResult.Refuse(status, reason ?? "The connection was refused.")
            : ConnectEventResult.Refuse(500, $"The connect handler failed with status {status}.");
    }

    private sealed class RequestBody
    {
        public IReadOnlyDictionary<string, string[]>? Claims { get; set; }
        public IReadOnlyDictionary<string, string[]>? Query { get; set; }
        public IReadOnlyDictionary<string, string[]>? Headers { get; set; }
        public IReadOnlyList<string>? Subprotocols { get; set; }
        public IReadOnlyList<ConnectClientCertificate>? ClientCertificates { get; set; }
    }

    private sealed class ResponseBody
    {
        public string? UserId { get; set; }
        public IReadOnlyList<string>? Groups { get; set; }
        public IReadOnlyList<string>? Roles { get; set; }
        public string? Subprotocol { get; set; }
    }
}
