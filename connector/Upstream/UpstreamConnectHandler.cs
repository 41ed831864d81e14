using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Upstream;

/// <summary>
/// A hub's <c>connect</c> handler that lives elsewhere: the connector posts each connection's <c>connect</c> event to
/// the hub's <see cref="EventHandlerOptions.Url"/> in the Web PubSub CloudEvents binary content mode (the
/// <c>ce-</c> headers, a JSON body of claims, query, headers and subprotocols) and reads the decision from the answer
/// (<see cref="ConnectEventJson.ReadResponse"/>). The <c>ce-signature</c> header lets the handler check the request
/// came from a holder of the access keys: <c>sha256={hex}</c> of the HMAC-SHA256 of the connection id, one per key.
/// The call is cancelled by the connector's connect timeout; redirects are not followed and at most
/// <see cref="ConnectEventJson.MaxBytes"/> of the answer is read.
/// </summary>
internal sealed class UpstreamConnectHandler : IConnectEventHandler
{
    /// <summary>The name of the HTTP client (<see cref="IHttpClientFactory"/>) the handler posts with.</summary>
    public const string HttpClientName = "BrokerChat.Upstream";

    private const string SpecVersion = "1.0";
    private const string AwpsVersion = "1.0";

    private readonly IHttpClientFactory _httpClients;
    private readonly AccessTokenService _tokens;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<UpstreamConnectHandler> _logger;
    private readonly Dictionary<string, string> _connectUrls = new(StringComparer.Ordinal);

    public UpstreamConnectHandler(IHttpClientFactory httpClients, IOptions<UpstreamOptions> options, AccessTokenService tokens, TimeProvider timeProvider, ILogger<UpstreamConnectHandler> logger)
    {
        _httpClients = httpClients;
        _tokens = tokens;
        _timeProvider = timeProvider;
        _logger = logger;
        foreach (var (hub, handler) in options.Value.EventHandlers)
        {
            if (handler.Url is { } url && handler.SystemEvents.Contains(WebPubSubCloudEvents.ConnectEventName, StringComparer.OrdinalIgnoreCase))
            {
                var lower = hub.ToLowerInvariant();
                _connectUrls[lower] = Expand(url, lower, WebPubSubCloudEvents.ConnectEventName);
                UpstreamLog.ConnectConfigured(logger, lower);
            }
        }
    }

    /// <inheritdoc />
    public bool Handles(string hub) => _connectUrls.ContainsKey(hub);

    /// <inheritdoc />
    public async ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connect);
        using var request = new HttpRequestMessage(HttpMethod.Post, _connectUrls[connect.Hub])
        {
            Content = new ByteArrayContent(ConnectEventJson.WriteRequest(connect)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        AddCloudEventHeaders(request.Headers, connect);
        using var response = await _httpClients.CreateClient(HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var body = await ReadBoundedAsync(response.Content, ConnectEventJson.MaxBytes + 1, cancellationToken).ConfigureAwait(false);
        var result = ConnectEventJson.ReadResponse((int)response.StatusCode, body);
        if (!result.Accepted)
        {
            UpstreamLog.ConnectRefused(_logger, connect.Hub, connect.ConnectionId, (int)response.StatusCode);
        }

        return result;
    }

    /// <summary><paramref name="template"/> with <c>{hub}</c> and <c>{event}</c> replaced (case-insensitively) by their escaped values.</summary>
    internal static string Expand(string template, string hub, string eventName) => template
        .Replace("{hub}", Uri.EscapeDataString(hub), StringComparison.OrdinalIgnoreCase)
        .Replace("{event}", Uri.EscapeDataString(eventName), StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>ce-signature</c> value: <c>sha256={hex}</c> of the HMAC-SHA256 of <paramref name="connectionId"/> under each key, comma-separated.</summary>
    internal static string Signature(IEnumerable<byte[]> keys, string connectionId) => WebPubSubSignature.Create(connectionId, keys);

    private void AddCloudEventHeaders(HttpRequestHeaders headers, ConnectEvent connect)
    {
        headers.Add(WebPubSubCloudEvents.SpecVersion, SpecVersion);
        headers.Add(WebPubSubCloudEvents.Type, WebPubSubCloudEvents.ConnectType);
        headers.Add(WebPubSubCloudEvents.Source, $"/hubs/{connect.Hub}/client/{connect.ConnectionId}");
        headers.Add(WebPubSubCloudEvents.Id, Guid.NewGuid().ToString("N"));
        headers.Add(WebPubSubCloudEvents.Time, _timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture));
        headers.Add(WebPubSubCloudEvents.AwpsVersion, AwpsVersion);
        headers.Add(WebPubSubCloudEvents.Hub, connect.Hub);
        headers.Add(WebPubSubCloudEvents.EventName, WebPubSubCloudEvents.ConnectEventName);
        headers.Add(WebPubSubCloudEvents.ConnectionId, connect.ConnectionId);
        if (connect.UserId is { } userId)
        {
            headers.TryAddWithoutValidation(WebPubSubCloudEvents.UserId, userId);
        }

        headers.Add(WebPubSubCloudEvents.Signature, Signature(_tokens.Keys, connect.ConnectionId));
    }

    /// <summary>At most <paramref name="limit"/> bytes of <paramref name="content"/>: a larger answer is cut there, which the reader refuses.</summary>
    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[content.Headers.ContentLength is { } length and >= 0 ? (int)Math.Min(length + 1, limit) : Math.Min(4096, limit)];
            var read = 0;
            while (read < limit)
            {
                if (read == buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Min(limit, buffer.Length * 2));
                }

                var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read == buffer.Length ? buffer : buffer[..read];
        }
    }
}
