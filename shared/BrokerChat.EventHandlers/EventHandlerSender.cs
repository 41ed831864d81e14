using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using BrokerChat.Contracts.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.EventHandlers;

/// <summary>
/// Posts events to hubs' event handlers in Web PubSub's CloudEvents HTTP binding (binary content mode: the attributes
/// are <c>ce-</c> headers, the body is the event's data), as Azure Web PubSub does, so a handler written with
/// <c>@azure/web-pubsub-express</c> or <c>Microsoft.Azure.WebPubSub.AspNetCore</c> works unchanged.
/// </summary>
/// <remarks>
/// <para>Before the first event to a handler, and again after one fails, its abuse protection is checked: an
/// <c>OPTIONS</c> request to its URL with <c>{event}</c> = <c>validate</c> and the <c>WebHook-Request-Origin</c>
/// header, whose answer must allow this origin in <c>WebHook-Allowed-Origin</c> (<c>*</c> or the origin itself).</para>
/// <para>Each call is bounded: at most <see cref="EventHandlerClientOptions.MaxConcurrentRequests"/> at once in this
/// process, <see cref="EventHandlerClientOptions.RequestTimeout"/> each, at most
/// <see cref="EventHandlerClientOptions.MaxResponseBytes"/> of an answer read, redirects not followed; and a handler
/// that keeps failing is not called for a while (<see cref="HandlerHealth"/>). Every failure to get an answer is an
/// <see cref="EventHandlerUnavailableException"/>; an answer of any status is returned for the caller to judge.</para>
/// </remarks>
public sealed class EventHandlerSender : IDisposable
{
    /// <summary>The name of the HTTP client (<see cref="IHttpClientFactory"/>) events are posted with.</summary>
    public const string HttpClientName = "BrokerChat.EventHandlers";

    private const string SpecVersion = "1.0";
    private const string AwpsVersion = "1.0";

    private readonly IHttpClientFactory _httpClients;
    private readonly IEventSigningKeys _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<EventHandlerSender> _logger;
    private readonly EventHandlerClientOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly string _origin;
    private readonly ConcurrentDictionary<EventHandlerEndpoint, HandlerHealth> _health = new();

    /// <summary>Creates the sender.</summary>
    public EventHandlerSender(IHttpClientFactory httpClients, IEventSigningKeys keys, IOptions<EventHandlerClientOptions> options, TimeProvider time, ILogger<EventHandlerSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _keys = keys;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _slots = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
        _origin = _options.RequestOrigin is { Length: > 0 } origin ? origin : Environment.MachineName.ToLowerInvariant();
    }

    /// <summary>The <c>WebHook-Request-Origin</c> this process sends.</summary>
    public string Origin => _origin;

    /// <summary>
    /// Posts <paramref name="event"/> to <paramref name="target"/> and returns the answer, whatever its status.
    /// </summary>
    /// <exception cref="EventHandlerUnavailableException">No answer came (see the remarks of the class).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<EventHandlerResponse> SendAsync(EventHandlerTarget target, WebPubSubEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var health = _health.GetOrAdd(target.Handler, _ => new HandlerHealth(_options, _time));
        var handler = target.Handler;
        if (health.IsRefused)
        {
            throw Unavailable(handler, EventHandlerUnavailableReason.OriginRefused, "its abuse-protection check did not allow this origin", null);
        }

        if (!health.TryEnter())
        {
            throw Unavailable(handler, EventHandlerUnavailableReason.CircuitOpen, $"it failed {_options.FailuresBeforeBreak} times in a row; calls resume after {_options.BreakDuration.TotalSeconds:0.###} s", null);
        }

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var entered = false;
        var answered = false;
        var waitStarted = _time.GetTimestamp();
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            entered = true;
            if (_time.GetElapsedTime(waitStarted) >= _options.RequestTimeout)
            {
                // A slot freed just as this call's time ran out: no time is left to send it in.
                throw SlotsStayedTaken(handler);
            }

            if (!health.IsValidated)
            {
                await ValidateAsync(handler, health, linked.Token).ConfigureAwait(false);
            }

            var response = await PostAsync(target.Url, @event, linked.Token).ConfigureAwait(false);
            // Any answer, a 5xx too, shows the handler is up and answering: only silence opens the circuit, so one
            // event a handler keeps failing (and its retries) does not hold back every other event of the hub.
            answered = true;
            return response;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw entered
                ? Unavailable(handler, EventHandlerUnavailableReason.TimedOut, $"it did not answer within {_options.RequestTimeout.TotalSeconds:0.###} s", null)
                : SlotsStayedTaken(handler);
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable(handler, EventHandlerUnavailableReason.Unreachable, $"it could not be reached ({ex.Message})", ex);
        }
        finally
        {
            if (entered)
            {
                _slots.Release();
            }

            if (answered)
            {
                health.Succeeded();
            }
            else if (cancellationToken.IsCancellationRequested)
            {
                health.Abandoned(); // the caller gave up: no failure of the handler's, but a probe's turn is given back
            }
            else if (health.Failed())
            {
                EventHandlerLog.Broken(_logger, handler.Hub, handler.Index, _options.FailuresBeforeBreak, _options.BreakDuration.TotalSeconds);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private EventHandlerUnavailableException SlotsStayedTaken(EventHandlerEndpoint handler) =>
        Unavailable(handler, EventHandlerUnavailableReason.TimedOut, $"all {_options.MaxConcurrentRequests} request slots of this process stayed taken for {_options.RequestTimeout.TotalSeconds:0.###} s", null);

    private async Task ValidateAsync(EventHandlerEndpoint handler, HandlerHealth health, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, handler.ValidationUrl);
        request.Headers.Add(WebPubSubCloudEvents.RequestOrigin, _origin);
        request.Headers.Add(WebPubSubCloudEvents.AwpsVersion, AwpsVersion);
        using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var allowed = response.IsSuccessStatusCode
            && response.Headers.TryGetValues(WebPubSubCloudEvents.AllowedOrigin, out var values)
            && values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Any(v => v == "*" || v.Equals(_origin, StringComparison.OrdinalIgnoreCase));
        health.Validated(allowed);
        if (!allowed)
        {
            EventHandlerLog.ValidationRefused(_logger, handler.Hub, handler.Index, (int)response.StatusCode, _origin);
            throw Unavailable(handler, EventHandlerUnavailableReason.OriginRefused, $"its abuse-protection check answered {(int)response.StatusCode} without allowing the origin '{_origin}' in {WebPubSubCloudEvents.AllowedOrigin}", null);
        }
    }

    private async Task<EventHandlerResponse> PostAsync(Uri url, WebPubSubEvent @event, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(@event.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(@event.ContentType);
        AddHeaders(request.Headers, @event);
        using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var body = await ReadBoundedAsync(response.Content, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        var state = response.Headers.TryGetValues(WebPubSubCloudEvents.ConnectionState, out var states) ? states.FirstOrDefault() : null;
        return new EventHandlerResponse((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), state);
    }

    private void AddHeaders(HttpRequestHeaders headers, WebPubSubEvent @event)
    {
        headers.Add(WebPubSubCloudEvents.RequestOrigin, _origin);
        headers.Add(WebPubSubCloudEvents.SpecVersion, SpecVersion);
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.Type, @event.Type);
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.Source, $"/hubs/{@event.Hub}/client/{@event.ConnectionId}");
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.Id, @event.Id);
        headers.Add(WebPubSubCloudEvents.Time, @event.Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        headers.Add(WebPubSubCloudEvents.AwpsVersion, AwpsVersion);
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.Hub, @event.Hub);
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.ConnectionId, @event.ConnectionId);
        headers.TryAddWithoutValidation(WebPubSubCloudEvents.EventName, @event.EventName);
        if (@event.UserId is { } userId)
        {
            headers.TryAddWithoutValidation(WebPubSubCloudEvents.UserId, userId);
        }

        if (@event.Subprotocol is { } subprotocol)
        {
            headers.TryAddWithoutValidation(WebPubSubCloudEvents.Subprotocol, subprotocol);
        }

        if (@event.ConnectionState is { } state)
        {
            headers.TryAddWithoutValidation(WebPubSubCloudEvents.ConnectionState, state);
        }

        headers.TryAddWithoutValidation(WebPubSubCloudEvents.Signature, WebPubSubSignature.Create(@event.ConnectionId, _keys.Keys));
    }

    /// <summary>The body, at most <paramref name="limit"/> bytes; a larger one is a failure of the handler.</summary>
    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > limit)
        {
            throw new HttpRequestException($"its answer of {declared} bytes is larger than {limit} bytes");
        }

        if (content.Headers.ContentLength == 0)
        {
            return [];
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[content.Headers.ContentLength is { } length ? (int)length : Math.Min(4096, limit)];
            var read = 0;
            while (true)
            {
                if (read == buffer.Length)
                {
                    if (read >= limit)
                    {
                        var probe = new byte[1];
                        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
                        {
                            throw new HttpRequestException($"its answer is larger than {limit} bytes");
                        }

                        break;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(limit, Math.Max(4096, buffer.Length * 2L)));
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

    private static EventHandlerUnavailableException Unavailable(EventHandlerEndpoint handler, EventHandlerUnavailableReason reason, string why, Exception? inner) =>
        new(reason, $"The event handler {handler.Index} of hub '{handler.Hub}' is unavailable: {why}.", inner);
}
