using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Presence;

/// <summary>
/// Presence as this connector's clients see it: it applies presence records to the <see cref="PresenceTable"/> (those
/// read from the outbound topic, and this connector's own joins and leaves at once), tells the local subscribers of a
/// room about each change, and answers <c>listMembers</c>. Every method runs under the outbound gate, so a client's
/// subscription, its list and its notifications are consistent with each other and in order with the messages it is
/// sent: a notification is encoded once per protocol and the same bytes are queued for every subscriber, without a
/// sequence id (<see cref="ClientConnection.TryEnqueueOnce"/>).
/// </summary>
internal sealed class PresenceFeed(PresenceTable table, PresenceTracker tracker, OutboundState outbound, ConnectionIndex connections, ConnectorIdentity identity, KafkaLink link)
{
    private readonly Dictionary<(string Hub, string Group), HashSet<ClientConnection>> _subscribers = [];
    private readonly List<PresenceNotice> _notices = [];

    /// <summary>The table (read it under the outbound gate).</summary>
    public PresenceTable Table => table;

    /// <summary>A local connection joined a group: published, applied here, subscribers told. Under the outbound gate.</summary>
    public void Joined(ClientConnection connection, string group) =>
        ApplyOwn(connection.Hub, group, tracker.Joined(connection.Hub, group, connection.Id, connection.UserId));

    /// <summary>
    /// Puts a connection in a group with no bound (the groups its token or its resumed session names) and publishes
    /// the membership when it is new. Under the outbound gate.
    /// </summary>
    public void AddMember(ClientConnection connection, string group)
    {
        var wasMember = connection.IsMember(group);
        connections.JoinGroup(connection, group);
        if (!wasMember && connection.IsMember(group))
        {
            Joined(connection, group);
        }
    }

    /// <summary>A local connection left a group (or ended). Under the outbound gate.</summary>
    public void Left(ClientConnection connection, string group)
    {
        Subscribe(connection, group, false);
        ApplyOwn(connection.Hub, group, tracker.Left(connection.Hub, group, connection.Id, connection.UserId));
    }

    /// <summary>Applies a presence record read at <paramref name="partition"/> of the outbound topic. Under the outbound gate.</summary>
    public void Apply(Delivery delivery, int partition)
    {
        if (delivery.Presence is { Action: PresenceAction.Beacon } beacon && beacon.ConnectorId == identity.Id)
        {
            link.Heard(); // this connector's own beacon came back: Kafka carries its records both ways
        }

        table.Apply(delivery.Presence!, delivery.Hub, delivery.Group, partition, _notices);
        Notify();
    }

    /// <summary>Expires dead connectors' members and tells subscribers; returns the connectors counted dead now. Under the outbound gate.</summary>
    public List<string>? Sweep()
    {
        var expired = table.Sweep(_notices);
        Notify();
        return expired;
    }

    /// <summary>
    /// Subscribes <paramref name="connection"/> to the joins and leaves of <paramref name="group"/>, or ends that;
    /// returns whether anything changed. Under the outbound gate.
    /// </summary>
    public bool Subscribe(ClientConnection connection, string group, bool on)
    {
        var key = (connection.Hub, group);
        if (on)
        {
            if (!(connection.PresenceGroups ??= new HashSet<string>(StringComparer.Ordinal)).Add(group))
            {
                return false;
            }

            if (!_subscribers.TryGetValue(key, out var set))
            {
                set = [];
                _subscribers[key] = set;
            }

            set.Add(connection);
            return true;
        }

        if (connection.PresenceGroups?.Remove(group) != true)
        {
            return false;
        }

        if (_subscribers.TryGetValue(key, out var subscribers) && subscribers.Remove(connection) && subscribers.Count == 0)
        {
            _subscribers.Remove(key);
        }

        return true;
    }

    /// <summary>The room's members, copied. Under the outbound gate.</summary>
    public List<GroupMember> List(string hub, string group, out bool complete) => table.List(hub, group, out complete);

    private void ApplyOwn(string hub, string group, PresenceChange change)
    {
        if (outbound.PartitionCount > 0)
        {
            table.Apply(change, hub, group, outbound.PartitionOf(hub, group), _notices);
            Notify();
        }
    }

    private void Notify()
    {
        foreach (var notice in _notices)
        {
            if (!_subscribers.TryGetValue((notice.Hub, notice.Group), out var subscribers))
            {
                continue;
            }

            byte[]? json = null;
            byte[]? messagePack = null;
            foreach (var subscriber in subscribers)
            {
                var frame = subscriber.Protocol.Encoding == ProtocolEncoding.MessagePack
                    ? messagePack ??= subscriber.Writer.Presence(notice.Group, notice.Joined, notice.UserId, notice.ConnectionId)
                    : json ??= subscriber.Writer.Presence(notice.Group, notice.Joined, notice.UserId, notice.ConnectionId);
                subscriber.TryEnqueueOnce(frame);
            }
        }

        _notices.Clear();
    }
}
