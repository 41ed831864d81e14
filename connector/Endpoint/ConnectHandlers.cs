using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Frames;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>What a hub's <c>connect</c> handler made of an upgrade: the identity and subprotocol the connection gets, or why it is refused.</summary>
internal readonly record struct ConnectDecision(ClientIdentity? Client, ClientProtocol? Protocol, Refusal? Refusal);

/// <summary>
/// The hubs' blocking <c>connect</c> handlers (<see cref="IConnectEventHandler"/>, the first registered one that
/// handles the hub), called after the access token is checked and before the upgrade is answered, within
/// <see cref="ConnectorOptions.ConnectTimeout"/>. The connector fails closed: a handler that throws refuses the
/// upgrade with 500, one that does not answer in time with 504. A hub no handler handles costs nothing here.
/// </summary>
internal sealed class ConnectHandlers(IEnumerable<IConnectEventHandler> handlers, IOptions<ConnectorOptions> options, TimeProvider timeProvider, ILogger<ConnectHandlers> logger)
{
    private readonly IConnectEventHandler[] _handlers = handlers.ToArray();
    private readonly TimeSpan _timeout = options.Value.ConnectTimeout;

    /// <summary>The handler of <paramref name="hub"/> (lower-cased), or null when the token alone decides.</summary>
    public IConnectEventHandler? For(string hub)
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

    /// <summary>
    /// Asks <paramref name="handler"/> about the connection <paramref name="connectionId"/> and applies its answer to
    /// what the token granted: a user id in place of the token's, groups and roles besides the token's, and one of the
    /// subprotocols the client offered.
    /// </summary>
    public async ValueTask<ConnectDecision> DecideAsync(IConnectEventHandler handler, UpgradeRequest request, string hub, string connectionId, ClientIdentity client, ClientProtocol protocol, CancellationToken aborted)
    {
        var connect = new ConnectEvent(hub, connectionId, client.UserId, client.Roles, client.Groups, request.Protocols,
            client.Claims ?? new Dictionary<string, string[]>(), UpgradeParts.Query(request.Source), UpgradeParts.Headers(request.Source));
        ConnectEventResult result;
        using var timeout = new CancellationTokenSource(_timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, timeout.Token);
        try
        {
            result = await handler.ConnectAsync(connect, linked.Token).ConfigureAwait(false);
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
        catch (Exception ex)
        {
            EndpointLog.ConnectHandlerFailed(logger, hub, connectionId, ex);
            return Refused(StatusCodes.Status500InternalServerError, "connect_failed", "The connect handler failed.");
        }

        return Apply(result, request, client, protocol);
    }

    private static ConnectDecision Apply(ConnectEventResult? result, UpgradeRequest request, ClientIdentity client, ClientProtocol protocol)
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

        if (result.Subprotocol is { } picked)
        {
            var offered = request.Protocols.Any(p => string.Equals(p, picked, StringComparison.OrdinalIgnoreCase));
            if (!offered || ClientProtocol.Find(picked) is not { } chosen)
            {
                return Refused(StatusCodes.Status500InternalServerError, "connect_failed", $"The connect handler picked the subprotocol '{picked}', which the client did not offer or this server does not speak.");
            }

            protocol = chosen;
        }

        var decided = new ClientIdentity(
            result.UserId is { Length: > 0 } userId ? userId : client.UserId,
            Union(client.Roles, result.Roles),
            Union(client.Groups, result.Groups));
        return new ConnectDecision(decided, protocol, null);
    }

    private static string[] Union(string[] granted, IReadOnlyList<string>? added) =>
        added is not { Count: > 0 } ? granted : granted.Concat(added.Where(a => !string.IsNullOrEmpty(a))).Distinct(StringComparer.Ordinal).ToArray();

    private static ConnectDecision Refused(int status, string metric, string reason) => new(null, null, new Refusal(status, metric, reason));
}
