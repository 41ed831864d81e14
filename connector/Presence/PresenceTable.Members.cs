namespace BrokerChat.Connector.Presence;

// Applying joins, leaves and snapshots to the rooms: versions decide what is newer, tombstones keep late copies of
// older joins out, and the bounds decide what is recorded.
internal sealed partial class PresenceTable
{
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
}
