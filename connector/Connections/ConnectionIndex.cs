using System.Collections.Concurrent;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// The connections of this connector and the local membership index: by id, and per hub by group, by user and in
/// all. Membership changes of a hub are serialized by the hub's lock; fan-out reads lock-free snapshots.
/// </summary>
internal sealed class ConnectionIndex
{
    private readonly ConcurrentDictionary<string, ClientConnection> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubIndex> _hubs = new(StringComparer.Ordinal);

    private int _handlers;

    public int Count => _byId.Count;

    /// <summary>Connections admitted and not yet fully ended (slot taken, life not finished): zero once all are gone.</summary>
    public int ActiveHandlers => Volatile.Read(ref _handlers);

    public void HandlerStarted() => Interlocked.Increment(ref _handlers);

    public void HandlerEnded() => Interlocked.Decrement(ref _handlers);

    /// <summary>Group entries across all hubs (for leak checks and metrics).</summary>
    public int GroupCount => _hubs.Values.Sum(h => h.Groups.Count);

    public ICollection<ClientConnection> All => _byId.Values;

    public bool TryGet(string connectionId, out ClientConnection connection) => _byId.TryGetValue(connectionId, out connection!);

    public void Add(ClientConnection connection)
    {
        if (!_byId.TryAdd(connection.Id, connection))
        {
            throw new InvalidOperationException($"Connection id {connection.Id} is already in use.");
        }

        var hub = _hubs.GetOrAdd(connection.Hub, static _ => new HubIndex());
        lock (hub.Gate)
        {
            hub.All.Add(connection);
            if (connection.UserId is { } user)
            {
                hub.Users.GetOrAdd(user, static _ => new MemberSet()).Add(connection);
            }
        }
    }

    public void Remove(ClientConnection connection)
    {
        if (!_byId.TryRemove(new KeyValuePair<string, ClientConnection>(connection.Id, connection)))
        {
            return;
        }

        if (!_hubs.TryGetValue(connection.Hub, out var hub))
        {
            return;
        }

        lock (hub.Gate)
        {
            if (connection.HasGroups)
            {
                foreach (var group in connection.Groups)
                {
                    RemoveFrom(hub.Groups, group, connection);
                }

                connection.Groups.Clear();
            }
            if (connection.UserId is { } user)
            {
                RemoveFrom(hub.Users, user, connection);
            }

            hub.All.Remove(connection, out _);
        }
    }

    /// <summary>
    /// Adds the connection to a group; joining a group already joined succeeds. Returns false only when the
    /// connection is already in <paramref name="maxGroups"/> other groups.
    /// </summary>
    public bool JoinGroup(ClientConnection connection, string group, int maxGroups = int.MaxValue)
    {
        var hub = _hubs.GetOrAdd(connection.Hub, static _ => new HubIndex());
        lock (hub.Gate)
        {
            if (connection.IsClosing || !_byId.ContainsKey(connection.Id))
            {
                return true; // a connection being removed must not leave an entry behind
            }

            if (connection.Groups.Contains(group))
            {
                return true;
            }

            if (connection.Groups.Count >= maxGroups)
            {
                return false;
            }

            connection.Groups.Add(group);
            hub.Groups.GetOrAdd(group, static _ => new MemberSet()).Add(connection);
            return true;
        }
    }

    /// <summary>Removes the connection from a group; leaving a group not joined succeeds.</summary>
    public void LeaveGroup(ClientConnection connection, string group)
    {
        if (!_hubs.TryGetValue(connection.Hub, out var hub))
        {
            return;
        }

        lock (hub.Gate)
        {
            if (connection.Groups.Remove(group))
            {
                RemoveFrom(hub.Groups, group, connection);
            }
        }
    }

    public ClientConnection[] GroupMembers(string hub, string group) =>
        _hubs.TryGetValue(hub, out var index) && index.Groups.TryGetValue(group, out var set) ? set.Snapshot() : [];

    public ClientConnection[] UserConnections(string hub, string user) =>
        _hubs.TryGetValue(hub, out var index) && index.Users.TryGetValue(user, out var set) ? set.Snapshot() : [];

    public ClientConnection[] HubConnections(string hub) =>
        _hubs.TryGetValue(hub, out var index) ? index.All.Snapshot() : [];

    private static void RemoveFrom(ConcurrentDictionary<string, MemberSet> sets, string key, ClientConnection connection)
    {
        if (sets.TryGetValue(key, out var set) && set.Remove(connection, out _))
        {
            sets.TryRemove(key, out _);
        }
    }

    private sealed class HubIndex
    {
        public Lock Gate { get; } = new();
        public MemberSet All { get; } = new();
        public ConcurrentDictionary<string, MemberSet> Groups { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, MemberSet> Users { get; } = new(StringComparer.Ordinal);
    }
}
