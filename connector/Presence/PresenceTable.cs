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
internal sealed partial class PresenceTable
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

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);
}
