using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.History;

/// <summary>
/// The recent messages of every room (hub + group), as this connector read them from the outbound topic, so that a
/// reliable session can be resumed here after its own connector died: what the client missed is replayed from its
/// rooms' histories. Bounded per room by count, overall by age and bytes, and in the number of rooms kept.
/// A room's history is complete from <see cref="Room.CoveredFrom"/> on (every record of the room at or after that
/// offset is held), which is how a gap that is too old to replay is recognised. Duplicate deliveries (the same
/// deterministic message id again, after the functions reprocessed a request) are recognised here and dropped.
/// Not thread-safe: the delivery dispatcher's gate guards it.
/// </summary>
internal sealed class RoomHistory(int maxMessagesPerRoom, TimeSpan maxAge, long maxBytes, int maxRooms, TimeProvider clock)
{
    private readonly Dictionary<(string Hub, string Group), Room> _rooms = [];
    private readonly Queue<Entry> _arrivals = new(); // every entry held, oldest first (some already evicted from their room)
    private long[] _coveredFrom = [];
    private long _bytes;

    /// <summary>Bytes held.</summary>
    public long Bytes => _bytes;

    /// <summary>Messages held.</summary>
    public int Messages { get; private set; }

    /// <summary>Rooms with a history.</summary>
    public int Rooms => _rooms.Count;

    /// <summary>Starts the histories: partition <c>p</c> is read from offset <paramref name="startOffsets"/>[p] on.</summary>
    public void Start(long[] startOffsets) => _coveredFrom = (long[])startOffsets.Clone();

    /// <summary>
    /// Adds a group message; false when the room already holds a message with the same id (a duplicate from upstream,
    /// which must not be delivered again).
    /// </summary>
    public bool TryAdd(string hub, string group, int partition, long offset, Delivery delivery, int size) =>
        TryAdd(hub, group, partition, offset, delivery, size, clock.GetTimestamp());

    /// <summary>
    /// Adds a group message that arrived at <paramref name="at"/> (a <see cref="TimeProvider.GetTimestamp"/> value, older
    /// for messages read back at startup), so that it ages from then.
    /// </summary>
    public bool TryAdd(string hub, string group, int partition, long offset, Delivery delivery, int size, long at)
    {
        var key = (hub, group);
        if (!_rooms.TryGetValue(key, out var room))
        {
            if (_rooms.Count >= maxRooms)
            {
                EvictOldestRoom();
            }

            room = new Room(partition, CoveredFrom(partition));
            _rooms[key] = room;
        }
        else if (delivery.MessageId.Length > 0 && room.Ids.Contains(delivery.MessageId))
        {
            return false;
        }

        var entry = new Entry(room, key, offset, delivery, size, at);
        room.Entries.Enqueue(entry);
        room.LastAt = entry.At;
        if (delivery.MessageId.Length > 0)
        {
            room.Ids.Add(delivery.MessageId);
        }

        _arrivals.Enqueue(entry);
        _bytes += size;
        Messages++;
        if (room.Entries.Count > maxMessagesPerRoom)
        {
            EvictFrom(room);
        }

        Trim();
        return true;
    }

    /// <summary>Drops what is older than the age limit or beyond the byte limit; called on every add and by the heartbeat.</summary>
    public void Trim()
    {
        var oldest = clock.GetTimestamp() - (long)(maxAge.TotalSeconds * clock.TimestampFrequency);
        while (_arrivals.TryPeek(out var entry) && (entry.Evicted || entry.At <= oldest || _bytes > maxBytes))
        {
            _arrivals.Dequeue();
            if (!entry.Evicted)
            {
                EvictFrom(entry.Room);
            }
        }
    }

    /// <summary>
    /// Applies an edit or a delete of the room's message <paramref name="messageId"/> to the copy held here, as the
    /// store applies it: an edit replaces its payload, a delete leaves it out of replays and join history from now on.
    /// A change naming a user (<paramref name="byUserId"/>) applies only to that user's own message. False when the
    /// message is not held (or not the user's).
    /// </summary>
    /// <remarks>The held delivery is changed in place: after its fan-out only this history refers to it.</remarks>
    public bool Apply(string hub, string group, string messageId, MessageChange change, string? byUserId, DataType dataType, byte[]? payload)
    {
        if (!_rooms.TryGetValue((hub, group), out var room) || !room.Ids.Contains(messageId))
        {
            return false;
        }

        Entry? target = null;
        foreach (var entry in room.Entries)
        {
            // The latest by that id, as the store changes.
            if (!entry.Deleted && string.Equals(entry.Delivery.MessageId, messageId, StringComparison.Ordinal))
            {
                target = entry;
            }
        }

        if (target is null || (byUserId is not null && !string.Equals(byUserId, target.Delivery.FromUserId, StringComparison.Ordinal)))
        {
            return false;
        }

        var before = target.Delivery.Payload?.Length ?? 0;
        if (change == MessageChange.Deleted)
        {
            target.Deleted = true;
            target.Delivery.Payload = null;
        }
        else
        {
            target.Delivery.DataType = dataType;
            target.Delivery.Payload = payload;
        }

        var delta = (payload?.Length ?? 0) * (change == MessageChange.Deleted ? 0 : 1) - before;
        target.Size += delta;
        _bytes += delta;
        return true;
    }

    /// <summary>Whether every message of the room from <paramref name="offset"/> on is held (or there were none).</summary>
    public bool Covers(string hub, string group, int partition, long offset) => offset >= CompleteFrom(hub, group, partition);

    /// <summary>The offset from which on every message of the room is held.</summary>
    public long CompleteFrom(string hub, string group, int partition) =>
        _rooms.TryGetValue((hub, group), out var room) ? room.CoveredFrom : CoveredFrom(partition);

    /// <summary>The partition a room's messages were read from, when the room has a history.</summary>
    public bool TryGetPartition(string hub, string group, out int partition)
    {
        var found = _rooms.TryGetValue((hub, group), out var room);
        partition = room?.Partition ?? -1;
        return found;
    }

    /// <summary>The room's messages at or after <paramref name="offset"/>, oldest first.</summary>
    public IEnumerable<(long Offset, Delivery Delivery)> From(string hub, string group, long offset)
    {
        if (!_rooms.TryGetValue((hub, group), out var room))
        {
            yield break;
        }

        foreach (var entry in room.Entries)
        {
            if (entry.Offset >= offset && !entry.Deleted)
            {
                yield return (entry.Offset, entry.Delivery);
            }
        }
    }

    /// <summary>Whether the room's history holds the message <paramref name="messageId"/>, deleted here or not.</summary>
    public bool Holds(string hub, string group, string messageId) =>
        _rooms.TryGetValue((hub, group), out var room) && room.Ids.Contains(messageId);

    /// <summary>The room's latest <paramref name="count"/> messages not deleted (fewer when it holds fewer), oldest first.</summary>
    public IEnumerable<Delivery> Last(string hub, string group, int count)
    {
        if (count <= 0 || !_rooms.TryGetValue((hub, group), out var room))
        {
            return [];
        }

        return room.Entries.Where(e => !e.Deleted).TakeLast(count).Select(e => e.Delivery);
    }

    /// <summary>Where the history of a room without entries on <paramref name="partition"/> is complete from.</summary>
    private long CoveredFrom(int partition) => partition < _coveredFrom.Length ? _coveredFrom[partition] : long.MaxValue;

    private void EvictFrom(Room room)
    {
        var entry = room.Entries.Dequeue();
        entry.Evicted = true;
        room.Ids.Remove(entry.Delivery.MessageId);
        room.CoveredFrom = entry.Offset + 1;
        _bytes -= entry.Size;
        Messages--;
        if (room.Entries.Count == 0)
        {
            // A room without entries is forgotten; rooms of its partition without a history are then only known
            // to be complete from after its last message.
            _rooms.Remove(entry.Key);
            _coveredFrom[room.Partition] = Math.Max(_coveredFrom[room.Partition], room.CoveredFrom);
        }
    }

    private void EvictOldestRoom()
    {
        // The room whose newest message is oldest goes: it is the least likely to be needed.
        Room? victim = null;
        foreach (var room in _rooms.Values)
        {
            if (victim is null || room.LastAt < victim.LastAt)
            {
                victim = room;
            }
        }

        while (victim is { Entries.Count: > 0 })
        {
            EvictFrom(victim);
        }
    }

    private sealed class Room(int partition, long coveredFrom)
    {
        public int Partition { get; } = partition;
        public long CoveredFrom { get; set; } = coveredFrom;
        public long LastAt { get; set; }
        public Queue<Entry> Entries { get; } = new();
        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Entry(Room room, (string Hub, string Group) key, long offset, Delivery delivery, int size, long at)
    {
        public Room Room { get; } = room;
        public (string Hub, string Group) Key { get; } = key;
        public long Offset { get; } = offset;
        public Delivery Delivery { get; } = delivery;
        public int Size { get; set; } = size;
        public long At { get; } = at;
        public bool Evicted { get; set; }
        public bool Deleted { get; set; }
    }
}
