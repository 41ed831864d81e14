using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Sessions;

/// <summary>
/// Works out how a recovery request (<c>awps_connection_id</c> + <c>awps_reconnection_token</c>) is served: by the
/// session still held here, by taking over a session whose old transport still looks alive, from the reconnection
/// token, or not at all.
/// </summary>
internal sealed class ResumePlanner(
    ConnectionIndex connections,
    ReconnectionTokens reconnectionTokens,
    EndedSessions ended,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider)
{
    /// <summary>Why a session the server ended is not resumed.</summary>
    public const string EndedByServer = "The session was closed by the server; connect again.";

    /// <summary>
    /// The plan for a recovery request; when the session is held here and detached it is claimed for this client and
    /// returned in <paramref name="existing"/>.
    /// </summary>
    public ResumeRequest Plan(string connectionId, string? token, string hub, ClientProtocol protocol, out ClientConnection? existing)
    {
        existing = null;
        if (!protocol.IsReliable)
        {
            return ResumeRequest.Refused($"Only the reliable subprotocols recover connections; {protocol.Name ?? "a simple WebSocket client"} does not.");
        }

        var state = reconnectionTokens.Read(token, connectionId, out var failure);
        if (state is null)
        {
            return ResumeRequest.Refused(failure!);
        }

        if (!string.Equals(state.Hub, hub, StringComparison.Ordinal) || !string.Equals(state.Protocol, protocol.Name, StringComparison.OrdinalIgnoreCase))
        {
            return ResumeRequest.Refused("The reconnection token is for another hub or subprotocol.");
        }

        if (ended.Contains(state.Hub, connectionId))
        {
            return ResumeRequest.Refused(EndedByServer);
        }

        if (connections.TryGet(connectionId, out var held) && held.IsReliable)
        {
            if (held.TryResume())
            {
                existing = held;
                return ResumeRequest.Held;
            }

            if (!held.IsDetached && !held.SessionEnded)
            {
                // The old transport looks alive (a half-open socket the client gave up on): it is cut off, its session
                // kept, and this client takes the session over once it is released.
                held.Abort();
                return new ResumeRequest(ResumeKind.TakeOver, state, null);
            }
        }

        return new ResumeRequest(ResumeKind.FromToken, state, null);
    }

    /// <summary>
    /// Waits (up to the close timeout) for the session whose old transport was cut off to be released, then claims it;
    /// null when it was not released in time (the session is then resumed from the token, if it can be).
    /// </summary>
    public async Task<ClientConnection?> TakeOverAsync(ReconnectionState state)
    {
        if (!connections.TryGet(state.ConnectionId, out var held))
        {
            return null;
        }

        var deadline = timeProvider.GetTimestamp() + (long)(options.Value.CloseTimeout.TotalSeconds * timeProvider.TimestampFrequency);
        while (!held.IsDetached && !held.SessionEnded && timeProvider.GetTimestamp() < deadline)
        {
            await held.WhenDrainedAsync().ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(10), timeProvider).ConfigureAwait(false);
        }

        return held.TryResume() ? held : null;
    }
}
