using System.Net;
using System.Security.Cryptography.X509Certificates;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.Inbound;
using BrokerChat.Connector.Sessions;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>What an upgrade request asks for, however it arrived; <paramref name="RecoveryConnectionId"/> is set when it asks to resume a session.</summary>
/// <remarks>
/// The recovery fields come from the <see cref="WebPubSubQueryParameters.ConnectionId"/> and
/// <see cref="WebPubSubQueryParameters.ReconnectionToken"/> query parameters. <paramref name="Source"/> is the request
/// as it arrived (<see cref="HttpRequestHead"/> or <see cref="HttpRequest"/>), whose query and headers are read only
/// for a hub's <c>connect</c> handler (<see cref="UpgradeParts"/>), as is the TLS <paramref name="ClientCertificate"/> the client presented.
/// </remarks>
internal readonly record struct UpgradeRequest(string Hub, string? AccessToken, string? Authorization, string[] Protocols, IPAddress? Address, string? RecoveryConnectionId, string? ReconnectionToken, object? Source = null, X509Certificate2? ClientCertificate = null);

/// <summary>Why an upgrade is refused: the HTTP status, the metric tag and the text the client gets.</summary>
internal readonly record struct Refusal(int Status, string Metric, string Reason)
{
    /// <summary>A malformed upgrade, as <see cref="Transport.WebSocketHandshake.CheckUpgradeHeaders"/> describes it; null when there is no problem.</summary>
    public static Refusal? BadRequest((int Status, string Reason)? problem) =>
        problem is { } p ? new Refusal(p.Status, "bad_request", p.Reason) : null;
}

/// <summary>
/// An admitted upgrade: the connection, the groups its token joins at connect and, for a recovery, how the session is
/// to be resumed. Handed from the handshake to <see cref="ClientConnectionHandler.RunAsync"/>.
/// </summary>
internal readonly record struct AdmittedClient(ClientConnection Connection, string[] Groups, ResumeRequest? Resume);

/// <summary>
/// Decides whether an upgrade is served: it checks the hub, the access token (or, for a recovery, the reconnection
/// token) and the subprotocol, takes a connection slot, asks the hub's <c>connect</c> handler when it has one
/// (<see cref="ConnectHandlers"/>), and creates the connection. It also gives the slot back,
/// whichever way a connection ends (<see cref="Release"/>, <see cref="End"/>).
/// </summary>
internal sealed class ConnectionAdmission(
    ConnectionIndex connections,
    ConnectionLimiter limiter,
    AccessTokenService tokens,
    ResumePlanner resumes,
    ConnectHandlers connectHandlers,
    GroupMembership membership,
    ConnectionEvents events,
    ConnectorMetrics metrics,
    KafkaLink kafka,
    AwaitedOutcomes awaitedOutcomes,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ConnectionAdmission> logger)
{
    private readonly ConnectorOptions _options = options.Value;
    private readonly Action<int> _frameSent = metrics.FrameOut;
    private readonly Action<int> _messageExpired = metrics.ExpiredInQueue;

    /// <summary>
    /// The admitted connection, or null with the refusal (already counted and logged). A recovery that cannot be
    /// honoured is admitted all the same and closed with 1008 once upgraded, which tells the client to connect afresh
    /// rather than retry. Completes at once unless the hub has a <c>connect</c> handler, which is awaited;
    /// <paramref name="aborted"/> says the client left.
    /// </summary>
    public async ValueTask<(AdmittedClient? Admitted, Refusal Refusal)> AdmitAsync(UpgradeRequest request, CancellationToken aborted)
    {
        var (admitted, refused) = await TryAdmitAsync(request, aborted).ConfigureAwait(false);
        if (refused is { } r)
        {
            Refused(r);
        }

        return (admitted, refused ?? default);
    }

    /// <summary>Counts and logs a refusal decided before admission (a malformed upgrade).</summary>
    public void Refused(Refusal refusal)
    {
        metrics.Rejected(refusal.Metric);
        EndpointLog.ConnectionRefused(logger, refusal.Status, refusal.Reason);
    }

    /// <summary>
    /// Every decision on an upgrade, in order: the hub, this connector's link to Kafka, the subprotocol, the access token (or, for a recovery, the
    /// reconnection token), a connection slot, and the hub's <c>connect</c> handler if it has one. The slot is taken
    /// before the handler is asked, so calls under way are bounded as connections are (in all, per user and per address).
    /// </summary>
    private async ValueTask<(AdmittedClient?, Refusal?)> TryAdmitAsync(UpgradeRequest request, CancellationToken aborted)
    {
        if (!HubNames.IsValid(request.Hub))
        {
            return (null, new Refusal(StatusCodes.Status400BadRequest, "bad_request", "Invalid hub name."));
        }

        if (kafka.IsLost)
        {
            return (null, new Refusal(StatusCodes.Status503ServiceUnavailable, "kafka_lost", "This server has lost its connection to Kafka; connect to another."));
        }

        var hub = HubNames.Normalize(request.Hub);
        var protocol = ClientProtocol.Choose(request.Protocols, out var unsupported);
        if (protocol is null)
        {
            return (null, new Refusal(StatusCodes.Status400BadRequest, "bad_request", $"The subprotocol {unsupported} is not supported; offer one of {string.Join(", ", ClientProtocol.PubSub.Select(p => p.Name))}, or none for a simple WebSocket client."));
        }

        ResumeRequest? resume = null;
        var asks = false;
        ClientIdentity client;
        if (request.RecoveryConnectionId is { } resumeId)
        {
            // The access token is not checked (the client appends to its first URL, whose token may have expired):
            // the reconnection token proves the session, and the connect handler is not asked again.
            resume = resumes.Plan(resumeId, request.ReconnectionToken, hub, protocol, out var existing);
            if (existing is not null)
            {
                return (new AdmittedClient(existing, [], resume), null);
            }

            client = resume.State is { } resumed ? new ClientIdentity(resumed.UserId, resumed.Roles, []) : new ClientIdentity(null, [], []);
        }
        else
        {
            asks = connectHandlers.Handles(hub);
            var identity = tokens.Validate(request.AccessToken ?? BearerToken(request.Authorization), hub, out var failure, withClaims: asks);
            if (identity is null)
            {
                return (null, new Refusal(StatusCodes.Status401Unauthorized, "unauthorized", failure!));
            }

            client = identity;
        }

        if (Acquire(client.UserId, request.Address) is { } full)
        {
            return (null, full);
        }

        var id = resume is { State: not null, Kind: not ResumeKind.Refused } ? resume.State.ConnectionId : ConnectorIdentity.NewConnectionId();
        var state = resume?.State?.ConnectionState;
        if (asks)
        {
            var decision = await connectHandlers.DecideAsync(request, hub, id, client, protocol, aborted).ConfigureAwait(false);
            if (decision.Refusal is { } refused)
            {
                limiter.Release(client.UserId, request.Address);
                return (null, refused);
            }

            if (!limiter.TryMoveUser(client.UserId, decision.Client!.UserId))
            {
                limiter.Release(client.UserId, request.Address);
                return (null, PerUserRefusal());
            }

            (client, protocol, state) = (decision.Client, decision.Protocol!, decision.ConnectionState);
        }

        // A simple client's first offer is echoed, because browsers fail a handshake whose offer is not answered.
        var subprotocol = protocol.IsSimple ? request.Protocols.FirstOrDefault() : protocol.Name;
        connections.HandlerStarted();
        var connection = new ClientConnection(id, hub, client.UserId, client.Roles, _options.OutboundQueueMessages, _options.OutboundQueueBytes, timeProvider, request.Address, protocol,
            protocol.IsReliable ? new ReliableStream(_options.ReliableBufferMessages, _options.ReliableBufferBytes) : null)
        {
            FrameSent = _frameSent,
            MessageExpired = _messageExpired,
            AwaitedOutcomes = awaitedOutcomes,
            Subprotocol = subprotocol,
            HasEventHandlers = connectHandlers.HasEventHandlers(hub),
            ConnectionState = state,
        };
        if (resume?.State is { Revoked: { } revoked } moved)
        {
            connection.Permissions = ConnectionPermissions.FromRoles(moved.Roles, revoked); // what was revoked moves with the session
        }

        return (new AdmittedClient(connection, client.Groups, resume), null);
    }

    /// <summary>Takes a connection slot for <paramref name="userId"/> from <paramref name="address"/>; the refusal when there is none.</summary>
    private Refusal? Acquire(string? userId, IPAddress? address) => limiter.TryAcquire(userId, address) switch
    {
        ConnectionLimiter.Refusal.MaxConnections => new Refusal(StatusCodes.Status503ServiceUnavailable, "max_connections", $"This server holds its maximum of {_options.MaxConnections} connections; connect to another."),
        ConnectionLimiter.Refusal.MaxPerUser => PerUserRefusal(),
        ConnectionLimiter.Refusal.MaxPerAddress => new Refusal(StatusCodes.Status429TooManyRequests, "max_per_address", $"This address already has {_options.MaxConnectionsPerAddress} connections."),
        _ => null,
    };

    private Refusal PerUserRefusal() => new(StatusCodes.Status429TooManyRequests, "max_per_user", $"This user already has {_options.MaxConnectionsPerUser} connections.");

    /// <summary>
    /// Gives back what <see cref="AdmitAsync"/> took when the upgrade could not be completed (the client left during the
    /// handshake): a slot, or the claim on a session held here, which is left for the client's next attempt.
    /// </summary>
    public void Abandon(AdmittedClient admitted)
    {
        if (admitted.Resume?.Kind == ResumeKind.Held)
        {
            admitted.Connection.TryDetach();
            return;
        }

        Release(admitted.Connection);
    }

    /// <summary>Unregisters a connection or session that ended for good (for <paramref name="reason"/>), tells the functions, and gives back its slot.</summary>
    public void End(ClientConnection connection, string reason)
    {
        membership.Unregister(connection);
        connection.ClearPendingAcks();
        events.Disconnected(connection, reason);
        Release(connection);
    }

    /// <summary>Gives back the slot an admitted connection took (it was never registered, or was just unregistered).</summary>
    public void Release(ClientConnection connection)
    {
        connection.Dispose();
        limiter.Release(connection.UserId, connection.Address);
        connections.HandlerEnded();
    }

    private static string? BearerToken(string? header) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
}
