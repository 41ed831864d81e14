using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
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
/// as a token refresh. One is written into the stream before a message whenever that message comes from another
/// partition than the ones since the last token (and every <see cref="ConnectorOptions.ReconnectionTokenRefreshMessages"/>
/// messages or <see cref="ConnectorOptions.ReconnectionTokenRefreshInterval"/>), so whatever a client received after its
/// latest token came from one partition, in that partition's order. Another connector resuming the session replays
/// that partition first and numbers on from the token's sequence id: the numbers it gives are the numbers the client
/// already saw for the same messages, the client drops those as duplicates, and nothing is lost or repeated.</para>
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
/// announced as leaving, as it is expected to resume elsewhere.</para>
/// </remarks>
internal sealed class ReliableSessions(
    ConnectionIndex connections,
    OutboundState outbound,
    ReconnectionTokens tokens,
    PresenceFeed presence,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider clock)
{
    private readonly ConnectorOptions _options = options.Value;

    /// <summary>
    /// Gives a reliable connection a data message read at <paramref name="offset"/> of <paramref name="partition"/>,
    /// writing a token refresh before it when the rules above ask for one. The caller holds the outbound gate.
    /// </summary>
    public void Deliver(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset) =>
        Deliver(connection, frame, partition, offset, outbound.Next);

    /// <summary>
    /// Gives a reliable connection a message no other connector can replay (one for a user, a connection or the hub),
    /// then a token that counts it and the record it came from. The caller holds the outbound gate.
    /// </summary>
    public void DeliverUnreplayable(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset)
    {
        if (Deliver(connection, frame, partition, offset, outbound.Next))
        {
            connection.EnqueueInOrder(TokenFrame(connection, outbound.Next, partition, offset + 1));
            connection.TokenMark = (partition, 0, clock.GetTimestamp());
        }
    }

    private bool Deliver(ClientConnection connection, ReadOnlyMemory<byte> frame, int partition, long offset, long[] considered)
    {
        if (connection.DeliveryFloor is { } floor && partition < floor.Length && offset < floor[partition])
        {
            return false; // the connector this session came from delivered it already
        }

        var now = clock.GetTimestamp();
        var mark = connection.TokenMark;
        ReadOnlyMemory<byte> before = default;
        if (mark.Partition != partition || mark.Messages >= _options.ReconnectionTokenRefreshMessages
            || now - mark.IssuedAt >= (long)(_options.ReconnectionTokenRefreshInterval.TotalSeconds * clock.TimestampFrequency))
        {
            before = TokenFrame(connection, considered, partition, offset);
            connection.TokenMark = (partition, 1, now);
        }
        else
        {
            connection.TokenMark = mark with { Messages = mark.Messages + 1 };
        }

        connection.TryEnqueueMessage(frame, before);
        return true;
    }

    /// <summary>
    /// Resumes, on this connector, a session another connector (or this one, before it forgot it) held: registers
    /// <paramref name="connection"/> under the session's id in its groups and replays what the client missed from the
    /// rooms' histories. Returns null on success, or why the session cannot be resumed (the client is then told
    /// with 1008 and connects afresh).
    /// </summary>
    public string? ResumeFromToken(ClientConnection connection, ReconnectionState state)
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
            for (var i = 0; i < groups.Length; i++)
            {
                if (!outbound.History.Covers(connection.Hub, groups[i], partitions[i], cursor[partitions[i]]))
                {
                    return "The messages missed since the connection dropped are too old to be recovered.";
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
            for (var i = 0; i < groups.Length; i++)
            {
                foreach (var (offset, delivery) in outbound.History.From(connection.Hub, groups[i], cursor[partitions[i]]))
                {
                    if (Recipients.Accepts(delivery, connection, Recipients.FilterOf(delivery)))
                    {
                        missed.Add((partitions[i], offset, delivery));
                    }
                }
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
                Deliver(connection, connection.Writer.Message(delivery), partition, offset, considered);
                considered[partition] = i + 1 < missed.Count && missed[i + 1].Partition == partition ? offset + 1 : outbound.Next[partition];
            }

            metrics.Resumed("token");
            return null;
        }
    }

    /// <summary>Sends a reliable session a fresh token (its last one is getting old while it receives nothing).</summary>
    public void RefreshToken(ClientConnection connection)
    {
        lock (outbound.Gate)
        {
            connection.EnqueueInOrder(TokenFrame(connection));
        }
    }

    /// <summary>
    /// Closes a connection because the server is going away: a reliable one first gets every message it was given and
    /// a token that covers them, so it resumes on another connector exactly where it was.
    /// </summary>
    public void CloseForShutdown(ClientConnection connection)
    {
        const string reason = "The server is restarting; reconnect.";
        if (!connection.IsReliable)
        {
            connection.Close(ClientConnection.ServiceRestart, reason, kind: "shutdown");
            return;
        }

        lock (outbound.Gate)
        {
            connection.EnqueueInOrder(TokenFrame(connection));
            connection.Close(ClientConnection.ServiceRestart, reason, kind: "shutdown", session: SessionOnClose.Flush);
        }
    }

    /// <summary>
    /// The <c>connected</c> frame with a token for the current point of the connection's stream. During the fan-out of
    /// the record at <paramref name="offset"/> of <paramref name="partition"/> the token comes just before that record,
    /// which is then the first thing after it. The caller holds the outbound gate.
    /// </summary>
    public byte[] TokenFrame(ClientConnection connection) => TokenFrame(connection, outbound.Next, -1, 0);

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

        var groups = connection.HasGroups ? connection.Groups.ToArray() : [];
        var state = new ReconnectionState(connection.Id, connection.Hub, connection.UserId, connection.Roles, groups,
            connection.Protocol.Name!, connection.SequenceState.LastSequenceId, partition, cursor, tokens.ExpiresAt,
            connection.PresenceGroups is { Count: > 0 } subscribed ? [.. subscribed] : null, connection.ConnectionState);
        if (partition < 0)
        {
            connection.TokenMark = (-1, 0, clock.GetTimestamp());
        }

        return connection.Writer.Connected(connection.Id, connection.UserId, tokens.Create(state));
    }
}
