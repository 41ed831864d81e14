using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.History;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Sessions;

/// <summary>
/// Keeps reliable sessions resumable, here or on any other connector. Everything that changes what a session is
/// given (registering it, its group changes, its deliveries, resuming it) happens under the outbound gate, so a
/// reconnection token made at any point of a session's stream states exactly what the client has been sent up to
/// there: its groups, its last sequence id and, per outbound partition, the first offset not yet considered for it.
/// </summary>
/// <remarks>
/// <para>Tokens travel in <c>connected</c> system messages with the session's own connection id, which clients take
/// as a token refresh (a client that follows the protocol strictly may take one for a new connection), so one is
/// written into the stream only when the token the client holds would no longer let another connector resume the
/// session exactly: before a message from another partition than the one the messages since the token come from
/// (for a token no message followed yet, the partition a resume replays first: the lowest of its groups'), after a
/// change of its groups, after a message no other connector can replay, before the rooms' histories would no longer
/// reach back to the token (<see cref="ConnectorOptions.ReconnectionTokenRefreshMessages"/> messages after it, or a
/// token older than <see cref="ConnectorOptions.ReconnectionTokenRefreshInterval"/> in a session with groups), and
/// before a shutdown's close. A client in one room, or in rooms of one partition, is sent its first token and, while
/// its groups stay the same, hardly another. So whatever a client received after its latest token came from one
/// partition, in that partition's order. Another connector resuming the session replays that partition first and
/// numbers on from the token's sequence id: the numbers it gives are the numbers the client already saw for the same
/// messages, the client drops those as duplicates, and nothing is lost or repeated. Every token after the first is
/// counted (<c>brokerchat.connector.sessions.token_refreshes</c>, by reason).</para>
/// <para>Only group messages are replayed on another connector; messages sent to a user, a connection or the whole hub
/// (by the REST API) while it was away are kept only by the connector that held it. Such a message is numbered like any
/// other and is followed at once by a token that counts it (<see cref="DeliverUnreplayable"/>), so a session resumed
/// elsewhere from that token numbers on after it; a client that dropped right between the message and that token
/// resumes from its previous token, and the first group message replayed then reuses the message's number, which the
/// client takes for a duplicate. History on join and presence messages are sent without sequence
/// ids (<see cref="ClientConnection.TryEnqueueOnce"/>): another connector could not reproduce them from a token's
/// position, so they stay out of the numbering and the invariant above holds.</para>
/// <para>Group memberships are also presence: every join and leave here, a session's groups when it is resumed from a
/// token (it moved here) and the groups of an ended connection are published by <see cref="PresenceFeed"/>. A session
/// kept for its client to come back stays a member; one closed because this connector is shutting down is not
/// announced as leaving, as it is expected to resume elsewhere. A session the server ended
/// (<see cref="EndedSessions"/>) is never resumed from its token, here or elsewhere.</para>
/// <para>A room whose gap the rooms' memory no longer covers is given from the durable history store when its hub keeps
/// one (<c>ReliableSessions.Store.cs</c>).</para>
/// </remarks>
internal sealed partial class ReliableSessions(
    ConnectionIndex connections,
    OutboundState outbound,
    ReconnectionTokens tokens,
    PresenceFeed presence,
    StoredHistory stored,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    ILogger<ReliableSessions> logger)
{
    private readonly int _refreshMessages = Math.Max(1, Math.Min(options.Value.ReconnectionTokenRefreshMessages, options.Value.RoomHistoryMessages / 2));
    private readonly TimeSpan _refreshInterval = TimeSpan.FromTicks(Math.Min(options.Value.ReconnectionTokenRefreshInterval.Ticks, options.Value.RoomHistoryAge.Ticks / 2));

    /// <summary>
    /// Gives a reliable connection a data message read at <paramref name="offset"/> of <paramref name="partition"/>,
    /// writing a token refresh before it when the rules above ask for one. The caller holds the outbound gate.
    /// </summary>
    public void Deliver(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset, long expiresAt = 0) =>
        Deliver(connection, frame, partition, offset, outbound.Next, expiresAt);

    /// <summary>
    /// Gives a reliable connection a message no other connector can replay (one for a user, a connection or the hub),
    /// then a token that counts it and the record it came from. The caller holds the outbound gate.
    /// </summary>
    public void DeliverUnreplayable(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset, long expiresAt = 0)
    {
        if (Deliver(connection, frame, partition, offset, outbound.Next, expiresAt))
        {
            connection.EnqueueInOrder(TokenFrame(connection, outbound.Next, partition, offset + 1));
            connection.TokenMark = (partition, 0, clock.GetTimestamp());
            metrics.TokenRefreshed("server");
        }
    }

    private bool Deliver(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset, long[] considered, long expiresAt)
    {
        if (connection.DeliveryFloor is { } floor && partition < floor.Length && offset < floor[partition])
        {
            return false; // the connector this session came from delivered it already
        }

        var mark = connection.TokenMark;
        ReadOnlyMemory<byte> before = default;
        if (mark.Partition != partition || mark.Messages >= _refreshMessages)
        {
            // The client's token would resume it elsewhere with another partition first, or from further back than
            // the rooms' histories reliably reach.
            before = TokenFrame(connection, considered, partition, offset);
            connection.TokenMark = (partition, 1, clock.GetTimestamp());
            metrics.TokenRefreshed(mark.Partition != partition ? "partition" : "history");
        }
        else
        {
            connection.TokenMark = mark with { Messages = mark.Messages + 1 };
        }

        connection.TryEnqueueMessage(frame, before, expiresAt);
        return true;
    }

    /// <summary>
    /// Resumes, on this connector, a session another connector (or this one, before it forgot it) held: registers
    /// <paramref name="connection"/> under the session's id in its groups and replays what the client missed from the
    /// rooms' histories, and from <paramref name="stored"/> (the store's reads, by group) for rooms whose gap the
    /// memory no longer covers. Returns null on success, or why the session cannot be resumed (the client is then
    /// told with 1008 and connects afresh).
    /// </summary>
    private string? ResumeFromToken(ClientConnection connection, ReconnectionState state, IReadOnlyDictionary<string, RecoveryRead>? stored)
    {
        if (!state.IsPortable)
        {
            return "The session can only be resumed on the server that held it, and it is gone.";
        }

        lock (outbound.Gate)
        {
            var cursor = state.Cursor!;
            if (cursor.Length != outbound.PartitionCount)
            {
                return "The message stream changed since the connection dropped.";
            }

            var groups = state.Groups!.Distinct(StringComparer.Ordinal).ToArray();
            var partitions = groups.Select(g => outbound.PartitionOf(connection.Hub, g)).ToArray();
            var fromStore = new IReadOnlyList<CatchUpMessage>?[groups.Length];
            for (var i = 0; i < groups.Length; i++)
            {
                if (!outbound.History.Covers(connection.Hub, groups[i], partitions[i], cursor[partitions[i]])
                    && (fromStore[i] = JoinStored(connection, groups[i], partitions[i], cursor[partitions[i]], stored)) is null)
                {
                    return TooOld;
                }
            }

            if (connections.TryGet(connection.Id, out _))
            {
                return "The session is still held by this server.";
            }

            connections.Add(connection);
            foreach (var group in groups)
            {
                presence.AddMember(connection, group); // the session moved here: its memberships now belong to this connector
            }

            foreach (var group in state.PresenceGroups ?? [])
            {
                if (connection.IsMember(group))
                {
                    presence.Subscribe(connection, group, true);
                }
            }

            connection.ResumeSequence(state.LastSequenceId);
            connection.DeliveryFloor = (long[])cursor.Clone();
            connection.TokenMark = (state.NextPartition, 0, clock.GetTimestamp());

            // The partition the client may have seen messages of after its token goes first, in offset order.
            var missed = new List<(int Partition, long Offset, Delivery Delivery)>();
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var (expired, replayedFromStore) = (0, 0);
            for (var i = 0; i < groups.Length; i++)
            {
                foreach (var (offset, delivery, fromTheStore) in fromStore[i] ?? Memory(connection.Hub, groups[i], cursor[partitions[i]]))
                {
                    if (delivery.ExpiresAt != 0 && delivery.ExpiresAt <= now)
                    {
                        expired++; // its time to live passed: the client is not given it late
                    }
                    else if (Recipients.Accepts(delivery, connection, Recipients.FilterOf(delivery)))
                    {
                        missed.Add((partitions[i], offset, delivery));
                        replayedFromStore += fromTheStore ? 1 : 0;
                    }
                }
            }

            if (expired > 0)
            {
                metrics.Expired("history", expired);
            }

            if (fromStore.Any(m => m is not null))
            {
                metrics.ResumedFromStore(replayedFromStore);
            }

            missed.Sort((a, b) => a.Partition == b.Partition
                ? a.Offset.CompareTo(b.Offset)
                : a.Partition == state.NextPartition ? -1 : b.Partition == state.NextPartition ? 1 : a.Partition.CompareTo(b.Partition));
            // A token written during the replay must not claim records still to be replayed: what has been considered
            // grows as the replay goes, partition by partition.
            var considered = (long[])cursor.Clone();
            for (var i = 0; i < missed.Count; i++)
            {
                var (partition, offset, delivery) = missed[i];
                Deliver(connection, connection.Writer.Message(delivery), partition, offset, considered, delivery.ExpiresAt);
                considered[partition] = i + 1 < missed.Count && missed[i + 1].Partition == partition ? offset + 1 : outbound.Next[partition];
            }

            metrics.Resumed("token");
            return null;
        }
    }

    /// <summary>
    /// Sends a reliable session a fresh token when the one it holds is older than
    /// <see cref="ConnectorOptions.ReconnectionTokenRefreshInterval"/> and it is in groups (the rooms' histories would
    /// soon no longer reach back to it); a session in no group resumes from any token. Called by the heartbeat.
    /// </summary>
    public void RefreshIfOld(ClientConnection connection, long now)
    {
        if (now - connection.TokenMark.IssuedAt < (long)(_refreshInterval.TotalSeconds * clock.TimestampFrequency) || !connection.HasGroups)
        {
            return;
        }

        lock (outbound.Gate)
        {
            connection.EnqueueInOrder(TokenFrame(connection, "history"));
        }
    }

    /// <summary>
    /// Closes a connection because the server is going away (or lost Kafka), with close code 1012 and
    /// <paramref name="reason"/>: a reliable one first gets every message it was given and a token that covers them,
    /// so it resumes on another connector exactly where it was.
    /// </summary>
    public void CloseForShutdown(ClientConnection connection, string reason = "The server is restarting; reconnect.", string kind = "shutdown")
    {
        if (!connection.IsReliable)
        {
            connection.Close(ClientConnection.ServiceRestart, reason, kind: kind);
            return;
        }

        lock (outbound.Gate)
        {
            connection.EnqueueInOrder(TokenFrame(connection, "shutdown"));
            connection.Close(ClientConnection.ServiceRestart, reason, kind: kind, session: SessionOnClose.Flush);
        }
    }

    /// <summary>
    /// The <c>connected</c> frame with a token for the current point of the connection's stream, counted as a refresh
    /// for <paramref name="refresh"/> (null for the connection's first). The caller holds the outbound gate.
    /// </summary>
    public byte[] TokenFrame(ClientConnection connection, string? refresh)
    {
        if (refresh is not null)
        {
            metrics.TokenRefreshed(refresh);
        }

        return TokenFrame(connection, outbound.Next, -1, 0);
    }

    /// <summary>
    /// The token frame for the current point of the stream. During the fan-out of the record at
    /// <paramref name="offset"/> of <paramref name="partition"/> the token comes just before that record, which is then
    /// the first thing after it; otherwise (<paramref name="partition"/> -1) it names the partition a resume replays
    /// first, the lowest of the connection's groups', so a message from there needs no new token.
    /// </summary>
    private byte[] TokenFrame(ClientConnection connection, long[] considered, int partition, long offset)
    {
        var cursor = (long[])considered.Clone();
        if (connection.DeliveryFloor is { } floor)
        {
            for (var i = 0; i < cursor.Length && i < floor.Length; i++)
            {
                cursor[i] = Math.Max(cursor[i], floor[i]);
            }
        }

        if (partition >= 0)
        {
            cursor[partition] = offset;
        }
        else
        {
            partition = FirstReplayed(connection);
            connection.TokenMark = (partition, 0, clock.GetTimestamp());
        }

        var groups = connection.HasGroups ? connection.Groups.ToArray() : [];
        var state = new ReconnectionState(connection.Id, connection.Hub, connection.UserId, connection.Roles, groups,
            connection.Protocol.Name!, connection.SequenceState.LastSequenceId, partition, cursor, tokens.ExpiresAt,
            connection.PresenceGroups is { Count: > 0 } subscribed ? [.. subscribed] : null, connection.Permissions.Revoked, connection.ConnectionState);
        return connection.Writer.Connected(connection.Id, connection.UserId, tokens.Create(state));
    }

    /// <summary>The partition a resume from a fresh token replays first: the lowest of the connection's groups', or -1 for none.</summary>
    private int FirstReplayed(ClientConnection connection)
    {
        if (!connection.HasGroups || outbound.PartitionCount == 0)
        {
            return -1;
        }

        var first = int.MaxValue;
        foreach (var group in connection.Groups)
        {
            first = Math.Min(first, outbound.PartitionOf(connection.Hub, group));
        }

        return first;
    }
}
