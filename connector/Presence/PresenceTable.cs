using BrokerChat.Connector.Frames;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Presence;

/// <summary>A room's member joined or left, for the room's local subscribers.</summary>
internal readonly record struct PresenceNotice(string Hub, string Group, bool Joined, string? UserId, string ConnectionId);

/// <summary>
/// This connector's copy of every room's members, on every connector, built from the presence records in the outbound
/// topic (and this connector's own changes, applied at once). Every connector reads the same records in the same order,
/// so the copies agree; what keeps them right when records repeat, arrive late or race is the version each membership
/// carries (the holding connector's clock when the member joined):
/// <list type="bullet">
/// <item>a join is applied only if it is newer than what the table has for that connection in that room (a repeat or a
/// stale copy changes nothing); a newer join from another connector moves the member there (its session was resumed
/// on that connector) without telling anyone, as nobody left;</item>
/// <item>a leave is applied only by the connector that holds the member and only if not older than its join; it leaves
/// a tombstone for a while, so that a late copy of an older join cannot bring the member back;</item>
/// <item>a connector's snapshot of one partition names all its members there: the members it names are added like joins,
/// and its members the table has there that it does not name are gone;</item>
/// <item>a connector not heard from (beacon or any record) for the expiry its beacons state is dead: its members are
/// removed without tombstones, so that if it was only late, its next snapshot (asked for when its beacon returns)
/// restores them.</item>
/// </list>
/// Bounded in members overall and per room (joins beyond are not recorded and the room's list says it is incomplete),
/// in tombstones (kept for <see cref="TombstoneAge"/>, at most as many as members) and in connectors remembered.
/// Not thread-safe: the outbound gate guards it.
/// </summary>
internal sealed class PresenceTable
{
    /// <summary>How long a leave is remembered, to refuse late copies of older joins.</summary>
    public static readonly TimeSpan TombstoneAge = TimeSpan.FromSeconds(60);

    private const int MaxConnectors = 10_000;

    private readonly string _self;
    private readonly int _maxMembers;
    private readonly int _maxMembersPerRoom;
    private readonly long _defaultExpiry;
    private readonly long _tombstoneAge;
    private readonly TimeProvider _clock;
    private readonly Dictionary<(string Hub, string Group), Room> _rooms = [];
    private readonly Dictionary<string, ConnectorState> _connectors = new(StringComparer.Ordinal);
    private readonly Queue<(Room Room, string ConnectionId, Member Member, long At)> _tombstones = new();
    private readonly HashSet<string> _resync = new(StringComparer.Ordinal);

    public PresenceTable(string self, int maxMembers, int maxMembersPerRoom, TimeSpan defaultExpiry, TimeProvider clock)
    {
        _self = self;
        _maxMembers = maxMembers;
        _maxMembersPerRoom = maxMembersPerRoom;
        _clock = clock;
        _defaultExpiry = Ticks(defaultExpiry);
        _tombstoneAge = Ticks(TombstoneAge);
    }

    /// <summary>Members held, across all rooms.</summary>
    public int Members { get; private set; }

    /// <summary>Rooms held (with members or tombstones).</summary>
    public int Rooms => _rooms.Count;

    /// <summary>Leaves remembered.</summary>
    public int Tombstones { get; private set; }

    /// <summary>Joins not recorded because a bound was reached.</summary>
    public long DroppedJoins { get; private set; }

    /// <summary>Whether another connector asked for this connector's snapshot since <see cref="TakeSnapshotRequest"/>.</summary>
    public bool SnapshotRequested { get; private set; }

    /// <summary>Connectors counted as alive (heard from within their expiry), this one included once it heard itself.</summary>
    public IReadOnlyList<string> LiveConnectors => _connectors.Where(c => !c.Value.Dead).Select(c => c.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Applies one presence record read from <paramref name="partition"/>; what changed for subscribers is added to <paramref name="notices"/>.</summary>
    public void Apply(PresenceChange change, string hub, string? group, int partition, List<PresenceNotice> notices)
    {
        ArgumentNullException.ThrowIfNull(change);
        var connector = change.ConnectorId;
        switch (change.Action)
        {
            case PresenceAction.Join when group is not null && change.ConnectionId is { } joined:
                Seen(connector);
                Join(hub, group, partition, joined, connector, change.UserId, change.Version, 0, notices);
                break;
            case PresenceAction.Leave when group is not null && change.ConnectionId is { } left:
                Seen(connector);
                Leave(hub, group, partition, left, connector, change.Version, notices);
                break;
            case PresenceAction.Snapshot when change.Members is { } members:
                Seen(connector);
                foreach (var member in members)
                {
                    Join(member.Hub, member.Group, partition, member.ConnectionId, connector, member.UserId, member.Version, change.SnapshotId, notices);
                }

                if (change.Last)
                {
                    RemoveUnnamed(connector, change.Partition, change.SnapshotId, notices);
                }

                break;
            case PresenceAction.Beacon when connector != _self:
                var state = Seen(connector, out var cameBack);
                state.Expiry = change.ExpiryMs > 0 ? Ticks(TimeSpan.FromMilliseconds(change.ExpiryMs)) : _defaultExpiry;
                if (cameBack)
                {
                    // It was counted dead, so its members were removed here: its snapshot restores them.
                    _resync.Add(connector);
                }

                break;
            case PresenceAction.SyncRequest when connector != _self && (change.TargetConnectorId is null || change.TargetConnectorId == _self):
                SnapshotRequested = true;
                break;
        }
    }

    /// <summary>Whether a snapshot was asked for (and clears the request).</summary>
    public bool TakeSnapshotRequest()
    {
        var requested = SnapshotRequested;
        SnapshotRequested = false;
        return requested;
    }

    /// <summary>Connectors that came back after being counted dead, whose snapshots must be asked for (and clears the list).</summary>
    public string[] TakeResyncTargets()
    {
        if (_resync.Count == 0)
        {
            return [];
        }

        var targets = _resync.ToArray();
        _resync.Clear();
        return targets;
    }

    /// <summary>The room's members; <paramref name="complete"/> is false when a bound kept some from being recorded.</summary>
    public List<GroupMember> List(string hub, string group, out bool complete)
    {
        var list = new List<GroupMember>();
        if (!_rooms.TryGetValue((hub, group), out var room))
        {
            complete = Members < _maxMembers;
            return list;
        }

        foreach (var (connectionId, member) in room.Members)
        {
            if (!member.Left)
            {
                list.Add(new GroupMember(member.UserId, connectionId));
            }
        }

        complete = !room.Truncated && Members < _maxMembers;
        return list;
    }

    /// <summary>
    /// Removes the members of connectors not heard from within their expiry (telling subscribers they left) and forgets
    /// old tombstones and long-dead connectors. Called periodically; returns the connectors counted dead now, if any.
    /// </summary>
    public List<string>? Sweep(List<PresenceNotice> notices)
    {
        var now = _clock.GetTimestamp();
        List<string>? forget = null;
        List<string>? expired = null;
        foreach (var (id, state) in _connectors)
        {
            if (id == _self)
            {
                continue;
            }

            if (!state.Dead && now - state.LastSeen > state.Expiry)
            {
                state.Dead = true;
                state.DeadSince = now;
                (expired ??= []).Add(id);
                foreach (var (room, connectionId) in state.Holds.ToArray())
                {
                    Drop(room, connectionId, notices);
                }
            }
            else if (state.Dead && now - state.DeadSince > 10 * state.Expiry)
            {
                (forget ??= []).Add(id);
            }
        }

        foreach (var id in forget ?? [])
        {
            _connectors.Remove(id);
        }

        while (_tombstones.TryPeek(out var oldest) && (now - oldest.At >= _tombstoneAge || Tombstones > _maxMembers))
        {
            _tombstones.Dequeue();
            ForgetTombstone(oldest.Room, oldest.ConnectionId, oldest.Member);
        }

        return expired;
    }

    private void Join(string hub, string group, int partition, string connectionId, string connector, string? userId, long version, long mark, List<PresenceNotice> notices)
    {
        var room = RoomFor(hub, group, partition, create: true);
        if (room is null)
        {
            DroppedJoins++;
            return;
        }

        if (room.Members.TryGetValue(connectionId, out var member))
        {
            if (version < member.Version || (version == member.Version && (member.Left || member.Connector != connector)))
            {
                return; // a repeat, or older than what is known
            }

            if (version == member.Version)
            {
                member.Mark = Math.Max(member.Mark, mark); // named again by a snapshot
                return;
            }

            if (!member.Left)
            {
                if (member.Connector != connector)
                {
                    Holds(member.Connector)?.Remove((room, connectionId));
                    Seen(connector).Holds.Add((room, connectionId));
                }

                member.Set(connector, userId, version, mark);
                return;
            }

            if (!HasRoom(room))
            {
                return;
            }

            Tombstones--;
            member.Left = false;
        }
        else
        {
            if (!HasRoom(room))
            {
                ForgetIfEmpty(room);
                return;
            }

            member = new Member();
            room.Members[connectionId] = member;
        }

        member.Set(connector, userId, version, mark);
        room.Live++;
        Members++;
        Seen(connector).Holds.Add((room, connectionId));
        notices.Add(new PresenceNotice(hub, group, true, userId, connectionId));
    }

    private void Leave(string hub, string group, int partition, string connectionId, string connector, long version, List<PresenceNotice> notices)
    {
        var room = RoomFor(hub, group, partition, create: true);
        if (room is null)
        {
            return;
        }

        if (!room.Members.TryGetValue(connectionId, out var member))
        {
            member = new Member { Left = true };
            member.Set(connector, null, version, 0);
            room.Members[connectionId] = member;
            AddTombstone(room, connectionId, member);
            return;
        }

        if (member.Left)
        {
            if (version > member.Version)
            {
                member.Set(connector, null, version, 0);
            }

            return;
        }

        if (member.Connector != connector || version < member.Version)
        {
            return; // the member moved to another connector since, or this leave is older than its join
        }

        Holds(connector)?.Remove((room, connectionId));
        room.Live--;
        Members--;
        member.Left = true;
        member.Set(connector, member.UserId, version, 0);
        AddTombstone(room, connectionId, member);
        notices.Add(new PresenceNotice(hub, group, false, member.UserId, connectionId));
    }

    /// <summary>After the last chunk of <paramref name="connector"/>'s snapshot of <paramref name="partition"/>: its members there that the snapshot did not name are gone.</summary>
    private void RemoveUnnamed(string connector, int partition, long snapshotId, List<PresenceNotice> notices)
    {
        if (Holds(connector) is not { } holds)
        {
            return;
        }

        foreach (var (room, connectionId) in holds.ToArray())
        {
            if (room.Partition == partition && room.Members[connectionId].Mark != snapshotId)
            {
                Drop(room, connectionId, notices);
            }
        }
    }

    /// <summary>Removes a member without a tombstone (its connector is gone, or its snapshot no longer names it).</summary>
    private void Drop(Room room, string connectionId, List<PresenceNotice> notices)
    {
        var member = room.Members[connectionId];
        room.Members.Remove(connectionId);
        Holds(member.Connector)?.Remove((room, connectionId));
        room.Live--;
        Members--;
        notices.Add(new PresenceNotice(room.Hub, room.Group, false, member.UserId, connectionId));
        ForgetIfEmpty(room);
    }

    private bool HasRoom(Room room)
    {
        if (room.Live < _maxMembersPerRoom && Members < _maxMembers)
        {
            return true;
        }

        room.Truncated = true;
        DroppedJoins++;
        return false;
    }

    private Room? RoomFor(string hub, string group, int partition, bool create)
    {
        if (_rooms.TryGetValue((hub, group), out var room) || !create)
        {
            return room;
        }

        if (_rooms.Count >= _maxMembers)
        {
            return null; // rooms hold members or tombstones, and both are bounded by the member bound
        }

        room = new Room(hub, group, partition);
        _rooms[(hub, group)] = room;
        return room;
    }

    private void AddTombstone(Room room, string connectionId, Member member)
    {
        Tombstones++;
        _tombstones.Enqueue((room, connectionId, member, _clock.GetTimestamp()));
    }

    private void ForgetTombstone(Room room, string connectionId, Member member)
    {
        // The queue entry is stale when the member joined again since (or was replaced).
        if (member.Left && room.Members.TryGetValue(connectionId, out var current) && ReferenceEquals(current, member))
        {
            room.Members.Remove(connectionId);
            Tombstones--;
            ForgetIfEmpty(room);
        }
    }

    private void ForgetIfEmpty(Room room)
    {
        if (room.Members.Count == 0)
        {
            _rooms.Remove((room.Hub, room.Group));
        }
    }

    private HashSet<(Room, string)>? Holds(string connector) => _connectors.TryGetValue(connector, out var state) ? state.Holds : null;

    private ConnectorState Seen(string connector) => Seen(connector, out _);

    private ConnectorState Seen(string connector, out bool cameBack)
    {
        cameBack = false;
        if (!_connectors.TryGetValue(connector, out var state))
        {
            if (_connectors.Count >= MaxConnectors && _connectors.FirstOrDefault(c => c.Value is { Dead: true, Holds.Count: 0 }).Key is { } forgotten)
            {
                _connectors.Remove(forgotten);
            }

            state = new ConnectorState { Expiry = _defaultExpiry };
            _connectors[connector] = state;
        }
        else if (state.Dead)
        {
            state.Dead = false;
            cameBack = true;
        }

        state.LastSeen = _clock.GetTimestamp();
        return state;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);

    private sealed class Room(string hub, string group, int partition)
    {
        public string Hub { get; } = hub;
        public string Group { get; } = group;
        public int Partition { get; } = partition;
        public Dictionary<string, Member> Members { get; } = new(StringComparer.Ordinal);
        public int Live { get; set; }
        public bool Truncated { get; set; }
    }

    /// <summary>A membership (or, when <see cref="Left"/>, a tombstone).</summary>
    private sealed class Member
    {
        public string Connector { get; private set; } = "";
        public string? UserId { get; private set; }
        public long Version { get; private set; }

        /// <summary>The id of the last snapshot of its connector that named it.</summary>
        public long Mark { get; set; }

        public bool Left { get; set; }

        public void Set(string connector, string? userId, long version, long mark)
        {
            Connector = connector;
            UserId = userId;
            Version = version;
            Mark = mark;
        }
    }

    private sealed class ConnectorState
    {
        public long LastSeen { get; set; }
        public long Expiry { get; set; }
        public bool Dead { get; set; }
        public long DeadSince { get; set; }

        /// <summary>The memberships this connector holds.</summary>
        public HashSet<(Room Room, string ConnectionId)> Holds { get; } = [];
    }
}
