using System.Security.Cryptography.X509Certificates;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Upstream;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Names;
using BrokerChat.EventHandlers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// What a hub's <c>connect</c> handlers made of an upgrade: the identity, subprotocol and connection state the
/// connection gets, or why it is refused.
/// </summary>
internal readonly record struct ConnectDecision(ClientIdentity? Client, ClientProtocol? Protocol, Refusal? Refusal, string? ConnectionState = null);

/// <summary>
/// The hubs' blocking <c>connect</c> handlers, called after the access token is checked and before the upgrade is
/// answered, all within one <see cref="ConnectorOptions.ConnectTimeout"/>: first the hub's handler in this process
/// (<see cref="IConnectEventHandler"/>, the first registered one that handles the hub: a typed hub's), then its
/// webhook (<see cref="UpstreamConnectHandler"/>, <c>Hubs:{hub}:EventHandlers</c>), each seeing the identity decided so
/// far; either refusing refuses. The connector fails closed: a handler that throws refuses with 500, one that does not
/// answer in time with 504, a webhook that cannot be asked with 502 (unreachable, or its abuse protection refused this
/// origin) or 503 (calls to it are held back after repeated failures). A hub with no handler costs nothing here.
/// </summary>
internal sealed class ConnectHandlers(
    IEnumerable<IConnectEventHandler> handlers,
    UpstreamConnectHandler webhooks,
    EventHandlerRoutes routes,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ConnectHandlers> logger)
{
    private readonly IConnectEventHandler[] _handlers = handlers.ToArray();
    private readonly TimeSpan _timeout = options.Value.ConnectTimeout;
    private readonly HashSet<string> _hubsWithEventHandlers = new(routes.Hubs, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="hub"/> (lower-cased) has a <c>connect</c> handler of either kind; without one the token alone decides.</summary>
    public bool Handles(string hub) => InProcess(hub) is not null || webhooks.Handles(hub);

    /// <summary>
    /// Whether <paramref name="hub"/> has event handlers (<c>Hubs:{hub}:EventHandlers</c>), whose connections' records
    /// carry their subprotocol and connection state for them.
    /// </summary>
    public bool HasEventHandlers(string hub) => _hubsWithEventHandlers.Count > 0 && _hubsWithEventHandlers.Contains(hub);

    /// <summary>
    /// Asks the handlers of <paramref name="hub"/> about the connection <paramref name="connectionId"/>, in order, and
    /// applies each answer to what was granted before it: a user id in place of the token's, groups and roles besides
    /// the token's, one of the subprotocols the client offered, and (from the webhook) the connection's state.
    /// </summary>
    public async ValueTask<ConnectDecision> DecideAsync(UpgradeRequest request, string hub, string connectionId, ClientIdentity client, ClientProtocol protocol, CancellationToken aborted)
    {
        var claims = client.Claims ?? new Dictionary<string, string[]>();
        var query = UpgradeParts.Query(request.Source);
        var headers = UpgradeParts.Headers(request.Source);
        IReadOnlyList<ConnectClientCertificate> certificates = request.ClientCertificate is { } certificate ? [Describe(certificate)] : [];
        using var timeout = new CancellationTokenSource(_timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, timeout.Token);
        var decision = new ConnectDecision(client, protocol, null);
        if (InProcess(hub) is { } handler)
        {
            decision = await AskAsync(ct => handler.ConnectAsync(Event(decision), ct), request, decision, hub, connectionId, timeout, aborted, linked.Token).ConfigureAwait(false);
        }

        if (decision.Refusal is null && webhooks.Handles(hub))
        {
            decision = await AskAsync(ct => webhooks.ConnectAsync(Event(decision), ct), request, decision, hub, connectionId, timeout, aborted, linked.Token).ConfigureAwait(false);
        }

        return decision;

        ConnectEvent Event(ConnectDecision sofar) => new(hub, connectionId, sofar.Client!.UserId, sofar.Client.Roles, sofar.Client.Groups, request.Protocols,
            claims, query, headers, certificates);
    }

    private IConnectEventHandler? InProcess(string hub)
    {
        foreach (var handler in _handlers)
        {
            if (handler.Handles(hub))
            {
                return handler;
            }
        }

        return null;
    }

    private async ValueTask<ConnectDecision> AskAsync(Func<CancellationToken, ValueTask<ConnectEventResult>> ask, UpgradeRequest request, ConnectDecision sofar, string hub, string connectionId, CancellationTokenSource timeout, CancellationToken aborted, CancellationToken token)
    {
        ConnectEventResult result;
        try
        {
            result = await ask(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            EndpointLog.ConnectHandlerTimedOut(logger, hub, connectionId, _timeout.TotalSeconds);
            return Refused(StatusCodes.Status504GatewayTimeout, "connect_timeout", "The connect handler did not answer in time.");
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return Refused(StatusCodes.Status400BadRequest, "client_left", "The client left during the handshake.");
        }
        catch (EventHandlerUnavailableException ex)
        {
            var status = StatusOf(ex.Reason);
            UpstreamLog.ConnectUnavailable(logger, hub, connectionId, status, ex.Message);
            return status == StatusCodes.Status504GatewayTimeout
                ? Refused(status, "connect_timeout", "The connect handler did not answer in time.")
                : Refused(status, "connect_unavailable", status == StatusCodes.Status503ServiceUnavailable
                    ? "The connect handler is failing; connections are refused for a while."
                    : "The connect handler could not be reached.");
        }
        catch (Exception ex)
        {
            EndpointLog.ConnectHandlerFailed(logger, hub, connectionId, ex);
            return Refused(StatusCodes.Status500InternalServerError, "connect_failed", "The connect handler failed.");
        }

        if (result?.ConnectionState is { Length: > WebPubSubCloudEvents.MaxConnectionStateLength } state)
        {
            UpstreamLog.ConnectStateTooLarge(logger, hub, connectionId, state.Length, WebPubSubCloudEvents.MaxConnectionStateLength);
            return Refused(StatusCodes.Status500InternalServerError, "connect_failed", "The connect handler set a connection state larger than allowed.");
        }

        return Apply(result, request, sofar);
    }

    /// <summary>
    /// The status an upgrade is refused with when the webhook could not be asked: 504 when it did not answer in time,
    /// 503 while calls to it are held back after repeated failures (the connector is protecting itself and the
    /// handler; retry later), 502 when it could not be reached or its abuse protection does not allow this origin
    /// (the gateway's upstream is at fault).
    /// </summary>
    internal static int StatusOf(EventHandlerUnavailableReason reason) => reason switch
    {
        EventHandlerUnavailableReason.TimedOut => StatusCodes.Status504GatewayTimeout,
        EventHandlerUnavailableReason.CircuitOpen => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status502BadGateway,
    };

    private static ConnectDecision Apply(ConnectEventResult? result, UpgradeRequest request, ConnectDecision sofar)
    {
        if (result is null)
        {
            return Refused(StatusCodes.Status500InternalServerError, "connect_failed", "The connect handler failed.");
        }

        if (!result.Accepted)
        {
            var status = result.Status is >= 400 and < 600 ? result.Status : StatusCodes.Status500InternalServerError;
            return Refused(status, "connect_refused", result.Reason is { Length: > 0 } reason ? reason : "The connection was refused.");
        }

        if (result.Groups?.FirstOrDefault(g => !GroupNames.IsValid(g)) is { } invalid)
        {
            return Refused(StatusCodes.Status500InternalServerError, "connect_failed", $"The connect handler named an invalid group '{invalid}'.");
        }

        var protocol = sofar.Protocol!;
        if (result.Subprotocol is { } picked)
        {
            var offered = request.Protocols.Any(p => string.Equals(p, picked, StringComparison.OrdinalIgnoreCase));
            if (!offered || ClientProtocol.Find(picked) is not { } chosen)
            {
                return Refused(StatusCodes.Status500InternalServerError, "connect_failed", $"The connect handler picked the subprotocol '{picked}', which the client did not offer or this server does not speak.");
            }

            protocol = chosen;
        }

        var client = sofar.Client!;
        var decided = new ClientIdentity(
            result.UserId is { Length: > 0 } userId ? userId : client.UserId,
            Union(client.Roles, result.Roles),
            Union(client.Groups, result.Groups))
        {
            Claims = client.Claims,
        };
        return new ConnectDecision(decided, protocol, null, result.ConnectionState ?? sofar.ConnectionState);
    }

    /// <summary>A TLS client certificate as the <c>connect</c> event describes it: its SHA-1 thumbprint and its PEM.</summary>
    internal static ConnectClientCertificate Describe(X509Certificate2 certificate) => new(certificate.Thumbprint, certificate.ExportCertificatePem());

    private static string[] Union(string[] granted, IReadOnlyList<string>? added) =>
        added is not { Count: > 0 } ? granted : granted.Concat(added.Where(a => !string.IsNullOrEmpty(a))).Distinct(StringComparer.Ordinal).ToArray();

    private static ConnectDecision Refused(int status, string metric, string reason) => new(null, null, new Refusal(status, metric, reason));
}
