using MessagePack;

namespace BrokerChat.Contracts.Messages;

/// <summary>What a <see cref="PresenceChange"/> reports. Encoded as its integer value; new values are only ever appended.</summary>
public enum PresenceAction
{
    /// <summary>A connection held by <see cref="PresenceChange.ConnectorId"/> became a member of the room.</summary>
    Join = 0,

    /// <summary>A connection held by <see cref="PresenceChange.ConnectorId"/> stopped being a member of the room.</summary>
    Leave = 1,

    /// <summary>The connector is alive; it counts as dead after <see cref="PresenceChange.ExpiryMs"/> without another.</summary>
    Beacon = 2,

    /// <summary>A connector asks for snapshots: from every connector, or from <see cref="PresenceChange.TargetConnectorId"/> only.</summary>
    SyncRequest = 3,

    /// <summary>
    /// Part of a connector's snapshot of its members in the rooms of one partition (<see cref="PresenceChange.Partition"/>);
    /// the chunk with <see cref="PresenceChange.Last"/> ends it, and members of that connector on that partition the
    /// snapshot did not name are gone.
    /// </summary>
    Snapshot = 4,
}

/// <summary>
/// A presence record. Joins, leaves and snapshots travel like client requests (connector → inbound topic, keyed so they
/// land on their rooms' partitions → functions → outbound topic), so each connector's records are in the order it made
/// them, interleaved with the rooms' messages. Beacons and sync requests go straight to the outbound topic, so a
/// functions outage does not make connectors look dead.
/// </summary>
/// <remarks>
/// Wire format: MessagePack array, append-only like every contract here.
/// 0 = action (<see cref="PresenceAction"/> as int), 1 = id of the connector that made the record,
/// 2 = version of the membership (join and leave: the holding connector's hybrid clock, microseconds since the Unix
/// epoch, strictly increasing per connector), 3 = connection id (join, leave), 4 = user id (join), 5 = members
/// (snapshot), 6 = last chunk of a snapshot, 7 = expiry in milliseconds (beacon), 8 = the connector asked (sync
/// request; nil = all), 9 = partition (snapshot), 10 = snapshot id.
/// </remarks>
[MessagePackObject]
public sealed class PresenceChange
{
    [Key(0)] public PresenceAction Action { get; set; }
    [Key(1)] public string ConnectorId { get; set; } = "";
    [Key(2)] public long Version { get; set; }
    [Key(3)] public string? ConnectionId { get; set; }
    [Key(4)] public string? UserId { get; set; }
    [Key(5)] public PresenceMember[]? Members { get; set; }
    [Key(6)] public bool Last { get; set; }
    [Key(7)] public int ExpiryMs { get; set; }
    [Key(8)] public string? TargetConnectorId { get; set; }
    [Key(9)] public int Partition { get; set; }
    [Key(10)] public long SnapshotId { get; set; }
}

/// <summary>
/// One member in a snapshot: 0 = hub, 1 = group, 2 = connection id, 3 = user id (nil when anonymous), 4 = version of
/// its join. Append-only.
/// </summary>
[MessagePackObject]
public sealed class PresenceMember
{
    [Key(0)] public string Hub { get; set; } = "";
    [Key(1)] public string Group { get; set; } = "";
    [Key(2)] public string ConnectionId { get; set; } = "";
    [Key(3)] public string? UserId { get; set; }
    [Key(4)] public long Version { get; set; }
}
