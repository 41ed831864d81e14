using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Connector.Sessions;
using BrokerChat.History;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Groups;

/// <summary>
/// Group membership of the connections held here: registering a connection (with the groups its token names),
/// joining (with the room's recent messages first, when asked), leaving, listing a group's members, and unregistering
/// an ended connection. Every change happens under the outbound gate, so it takes effect between two deliveries: a
/// joining client gets exactly the messages after its history, and a reliable session's token (written after each
/// change, <see cref="ReliableSessions.TokenFrame"/>) names the groups it is in at that point of its stream. Group
/// memberships are also presence (<see cref="PresenceFeed"/>).
/// </summary>
internal sealed class GroupMembership(
    ConnectionIndex connections,
    OutboundState outbound,
    ReliableSessions sessions,
    PresenceFeed presence,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider clock)
{
    private readonly int _historyMax = options.Value.HistoryMaxMessages;

    /// <summary>Registers a new connection, joins the groups its access token names, and sends <c>connected</c>.</summary>
    public void Register(ClientConnection connection, string[] groups)
    {
        lock (outbound.Gate)
        {
            connections.Add(connection);
            foreach (var group in groups)
            {
                presence.AddMember(connection, group);
            }

            if (connection.IsReliable)
            {
                connection.EnqueueInOrder(sessions.TokenFrame(connection, refresh: null));
            }
            else if (!connection.IsSimple)
            {
                connection.TryEnqueue(connection.Writer.Connected(connection.Id, connection.UserId, null));
            }
        }
    }

    /// <summary>
    /// Joins a group; false when the connection is already in <paramref name="maxGroups"/> others. The room's latest
    /// <paramref name="history"/> messages (at most <see cref="ConnectorOptions.HistoryMaxMessages"/>) are queued first,
    /// taken as the join takes effect, so that with the live messages after them nothing is missing or repeated;
    /// <paramref name="subscribe"/> says whether the connection is told about the group's joins and leaves.
    /// <paramref name="stored"/> are the room's latest messages in the history store, read just before: those older
    /// than what the memory holds come first.
    /// </summary>
    public bool Join(ClientConnection connection, string group, int maxGroups, int history = 0, bool subscribe = false, IReadOnlyList<StoredMessage>? stored = null)
    {
        lock (outbound.Gate)
        {
            var wasMember = connection.IsMember(group);
            if (!connections.JoinGroup(connection, group, maxGroups))
            {
                return false;
            }

            if (!connection.IsMember(group))
            {
                return true; // the connection is closing
            }

            SendHistory(connection, group, history, stored);
            var changed = presence.Subscribe(connection, group, subscribe);
            if (!wasMember)
            {
                presence.Joined(connection, group);
            }

            if (connection.IsReliable && (changed || !wasMember))
            {
                connection.EnqueueInOrder(sessions.TokenFrame(connection, "group"));
            }

            return true;
        }
    }

    /// <summary>Leaves a group.</summary>
    public void Leave(ClientConnection connection, string group)
    {
        lock (outbound.Gate)
        {
            if (connection.IsMember(group))
            {
                connections.LeaveGroup(connection, group);
                presence.Left(connection, group);
                if (connection.IsReliable)
                {
                    connection.EnqueueInOrder(sessions.TokenFrame(connection, "group"));
                }
            }
        }
    }

    /// <summary>Answers <c>listMembers</c>: the group's members on every connector, then (when asked with an ackId) the ack.</summary>
    public void ListMembers(ClientConnection connection, string group, ulong? ackId)
    {
        List<GroupMember> members;
        bool complete;
        lock (outbound.Gate)
        {
            members = presence.List(connection.Hub, group, out complete);
        }

        connection.TryEnqueue(connection.Writer.Members(group, ackId, members, complete));
        if (ackId is { } id)
        {
            connection.TryEnqueue(connection.Writer.AckSuccess(id));
        }
    }

    /// <summary>Takes an ended connection or session out of the connection store and its groups (announcing the leaves).</summary>
    public void Unregister(ClientConnection connection)
    {
        lock (outbound.Gate)
        {
            var groups = connection.HasGroups ? connection.Groups.ToArray() : [];
            connections.Remove(connection);
            foreach (var group in connection.PresenceGroups?.ToArray() ?? [])
            {
                presence.Subscribe(connection, group, false);
            }

            // A session closed for this connector's shutdown is expected to resume elsewhere: no leave is announced (it
            // moves when it resumes, or goes when this connector's beacons stop).
            if (!(connection.IsReliable && connection.CloseKind == "shutdown"))
            {
                foreach (var group in groups)
                {
                    presence.Left(connection, group);
                }
            }
        }
    }

    /// <summary>
    /// Queues the room's latest messages for a joining connection, once and unnumbered, from memory and, past what
    /// memory holds, from the store; those whose time to live passed are left out. Under the outbound gate.
    /// </summary>
    private void SendHistory(ClientConnection connection, string group, int count, IReadOnlyList<StoredMessage>? stored)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        count = Math.Min(count, _historyMax);
        var recent = outbound.History.Last(connection.Hub, group, count).ToList();
        if (stored is { Count: > 0 } && recent.Count < count)
        {
            // The store lags the live stream by a batch at most; what both hold is taken from memory, where a change
            // the store may not have applied yet is already applied (a deleted message is left out of both).
            var older = stored.Where(m => !outbound.History.Holds(connection.Hub, group, m.MessageId)).Select(m => m.ToDelivery()).ToList();
            recent = [.. older.Skip(Math.Max(0, older.Count - (count - recent.Count))), .. recent];
        }

        foreach (var delivery in recent)
        {
            if (delivery.ExpiresAt != 0 && delivery.ExpiresAt <= now)
            {
                metrics.Expired("history");
                continue;
            }

            if (!Recipients.Accepts(delivery, connection, Recipients.FilterOf(delivery)))
            {
                continue; // it was not sent this connection's own noEcho messages (or ones excluding it) the first time either
            }

            byte[] frame;
            try
            {
                frame = connection.Writer.HistoryMessage(delivery);
            }
            catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
            {
                continue; // a corrupt record: it was not delivered live either
            }

            if (!connection.TryEnqueueOnce(frame))
            {
                return;
            }
        }
    }
}
