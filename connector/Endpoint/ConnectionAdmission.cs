using System.Net;
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
/// <see cref="WebPubSubQueryParameters.ReconnectionToken"/> query parameters.
/// </remarks>
internal readonly record struct UpgradeRequest(string Hub, string? AccessToken, string? Authorization, string[] Protocols, IPAddress? Address, string? RecoveryConnectionId, string? ReconnectionToken);

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
/// token) and the subprotocol, takes a connection slot and creates the connection. It also gives the slot back,
/// whichever way a connection ends (<see cref="Release"/>, <see cref="End"/>).
/// </summary>
internal sealed class ConnectionAdmission(
    ConnectionIndex connections,
    ConnectionLimiter limiter,
    AccessTokenService tokens,
    ResumePlanner resumes,
    GroupMembership membership,
    ConnectionEvents events,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ConnectionAdmission> logger)
{
    private readonly ConnectorOptions _options = options.Value;
    private readonly Action<int> _frameSent = metrics.FrameOut;

    /// <summary>
    /// The admitted connection, or null with the <paramref name="refusal"/> (already counted and logged). A recovery
    /// that cannot be honoured is admitted all the same and closed with 1008 once upgraded, which tells the client to
    /// connect afresh rather than retry.
    /// </summary>
    public AdmittedClient? Admit(UpgradeRequest request, out Refusal refusal)
    {
        var admitted = TryAdmit(request, out var refused);
        refusal = refused ?? default;
        if (refused is { } r)
        {
            Refused(r);
        }

        return admitted;
    }

    /// <summary>Counts and logs a refusal decided before admission (a malformed upgrade).</summary>
    public void Refused(Refusal refusal)
    {
        metrics.Rejected(refusal.Metric);
        EndpointLog.ConnectionRefused(logger, refusal.Status, refusal.Reason);
    }

    private AdmittedClient? TryAdmit(UpgradeRequest request, out Refusal? refusal)
    {
        refusal = null;
        if (!HubNames.IsValid(request.Hub))
        {
            refusal = new Refusal(StatusCodes.Status400BadRequest, "bad_request", "Invalid hub name.");
            return null;
        }

        var hub = HubNames.Normalize(request.Hub);
        var protocol = ClientProtocol.Choose(request.Protocols, out var unsupported);
        if (protocol is null)
        {
            refusal = new Refusal(StatusCodes.Status400BadRequest, "bad_request", $"The subprotocol {unsupported} is not supported; offer one of {string.Join(", ", ClientProtocol.PubSub.Select(p => p.Name))}, or none for a simple WebSocket client.");
            return null;
        }

        // A simple client's first offer is echoed, because browsers fail a handshake whose offer is not answered.
        var subprotocol = protocol.IsSimple ? request.Protocols.FirstOrDefault() : protocol.Name;
        ResumeRequest? resume = null;
        ClientIdentity client;
        if (request.RecoveryConnectionId is { } resumeId)
        {
            // The access token is not checked (the client appends to its first URL, whose token may have expired):
            // the reconnection token proves the session.
            resume = resumes.Plan(resumeId, request.ReconnectionToken, hub, protocol, out var existing);
            if (existing is not null)
            {
                return new AdmittedClient(existing, [], resume);
            }

            client = resume.State is { } state ? new ClientIdentity(state.UserId, state.Roles, []) : new ClientIdentity(null, [], []);
        }
        else
        {
            var identity = tokens.Validate(request.AccessToken ?? BearerToken(request.Authorization), hub, out var failure);
            if (identity is null)
            {
                refusal = new Refusal(StatusCodes.Status401Unauthorized, "unauthorized", failure!);
                return null;
            }

            client = identity;
        }

        refusal = limiter.TryAcquire(client.UserId, request.Address) switch
        {
            ConnectionLimiter.Refusal.MaxConnections => new Refusal(StatusCodes.Status503ServiceUnavailable, "max_connections", $"This server holds its maximum of {_options.MaxConnections} connections; connect to another."),
            ConnectionLimiter.Refusal.MaxPerUser => new Refusal(StatusCodes.Status429TooManyRequests, "max_per_user", $"This user already has {_options.MaxConnectionsPerUser} connections."),
            ConnectionLimiter.Refusal.MaxPerAddress => new Refusal(StatusCodes.Status429TooManyRequests, "max_per_address", $"This address already has {_options.MaxConnectionsPerAddress} connections."),
            _ => null,
        };
        if (refusal is not null)
        {
            return null;
        }

        connections.HandlerStarted();
        var id = resume is { State: not null, Kind: not ResumeKind.Refused } ? resume.State.ConnectionId : ConnectorIdentity.NewConnectionId();
        var connection = new ClientConnection(id, hub, client.UserId, client.Roles, _options.OutboundQueueMessages, _options.OutboundQueueBytes, timeProvider, request.Address, protocol,
            protocol.IsReliable ? new ReliableStream(_options.ReliableBufferMessages, _options.ReliableBufferBytes) : null)
        {
            FrameSent = _frameSent,
            Subprotocol = subprotocol,
        };
        return new AdmittedClient(connection, client.Groups, resume);
    }

    /// <summary>
    /// Gives back what <see cref="Admit"/> took when the upgrade could not be completed (the client left during the
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
