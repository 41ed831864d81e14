using BrokerChat.Contracts.Events;
using BrokerChat.EventHandlers;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Upstream;

/// <summary>
/// A hub's <c>connect</c> webhook (<c>Hubs:{hub}:EventHandlers</c>, the first handler whose <c>SystemEvents</c> has
/// <c>connect</c>): the connector posts each connection's <c>connect</c> event there with <see cref="EventHandlerSender"/>
/// (CloudEvents binary mode, signed with the access keys, abuse protection, the library's concurrency bound and
/// circuit breaker) and reads the decision from the answer. A 2xx accepts: 204 as the token describes the client,
/// a 200 body may set the user id, groups, roles and subprotocol (<see cref="ConnectEventJson.ReadResponse"/>);
/// <c>ce-connectionState</c> sets the connection's state. Any 4xx or 5xx refuses with that status and the body's text
/// as the reason; another status refuses with 502. No answer at all is an <see cref="EventHandlerUnavailableException"/>
/// for the caller (<see cref="Endpoint.ConnectHandlers"/>) to turn into a refusal.
/// </summary>
internal sealed class UpstreamConnectHandler
{
    private readonly EventHandlerSender _sender;
    private readonly TimeProvider _time;
    private readonly ILogger<UpstreamConnectHandler> _logger;
    private readonly Dictionary<string, EventHandlerTarget> _targets = new(StringComparer.Ordinal);

    public UpstreamConnectHandler(EventHandlerRoutes routes, EventHandlerSender sender, TimeProvider time, ILogger<UpstreamConnectHandler> logger)
    {
        _sender = sender;
        _time = time;
        _logger = logger;
        foreach (var hub in routes.Hubs)
        {
            if (routes.Find(hub, WebPubSubEventKind.Connect) is { } target)
            {
                _targets[hub] = target;
                UpstreamLog.ConnectConfigured(logger, hub);
            }
        }
    }

    /// <summary>Whether <paramref name="hub"/> (lower-cased) has a <c>connect</c> webhook.</summary>
    public bool Handles(string hub) => _targets.ContainsKey(hub);

    /// <summary>Posts <paramref name="connect"/> to its hub's webhook and returns the decision.</summary>
    /// <exception cref="EventHandlerUnavailableException">The webhook did not answer (see <see cref="EventHandlerSender.SendAsync"/>).</exception>
    public async ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var request = WebPubSubEvent.ForConnect(connect, Guid.NewGuid().ToString("N"), _time.GetUtcNow());
        var response = await _sender.SendAsync(_targets[connect.Hub], request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccess)
        {
            var accepted = response.Body.Length == 0 ? ConnectEventResult.Accept() : ConnectEventJson.ReadResponse(response.Status, response.Body);
            return accepted.Accepted ? accepted with { ConnectionState = response.ConnectionState } : accepted;
        }

        var status = response.Status is >= 400 and < 600 ? response.Status : 502;
        UpstreamLog.ConnectRefused(_logger, connect.Hub, connect.ConnectionId, response.Status);
        return ConnectEventResult.Refuse(status, response.Status is >= 400 and < 600 ? response.Reason : $"The event handler answered {response.Status}.");
    }
}
