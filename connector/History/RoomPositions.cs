using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.History;

/// <summary>
/// Per room (hub + group), the newest <see cref="DeliverySource"/> of each source (inbound partition and key) whose
/// delivery was fanned out here, so that a repeat (a delivery at or below it) is recognised however long ago the
/// original was delivered and whatever the room history still holds: the output of a worker that lost its partitions
/// but still produced what it held, or of a new owner handling again records whose offsets were not committed.
/// Bounded: at most <see cref="SourcesPerRoom"/> sources per room (the one advanced longest ago goes first) and at
/// most <c>maxRooms</c> rooms (the one advanced longest ago goes first). Not thread-safe: the delivery dispatcher's
/// gate guards it.
/// </summary>
internal sealed class RoomPositions(int maxRooms)
{
    /// <summary>Sources kept per room: a room's own key, plus those of connections whose events make group messages.</summary>
    public const int SourcesPerRoom = 16;

    private readonly Dictionary<(string Hub, string Group), LinkedListNode<Room>> _rooms = [];
    private readonly LinkedList<Room> _recent = new(); // least recently advanced first

    /// <summary>Rooms with positions.</summary>
    public int Rooms => _rooms.Count;

    /// <summary>
    /// Records that <paramref name="source"/>'s delivery to the room is fanned out; false, recording nothing, when the
    /// room already had a delivery of the same source at or after that position (a repeat, not to be delivered).
    /// </summary>
    public bool TryAdvance(string hub, string group, DeliverySource source)
    {
        var key = (hub, group);
        if (_rooms.TryGetValue(key, out var node))
        {
            if (!node.Value.TryAdvance(source))
            {
                return false;
            }

            _recent.Remove(node);
            _recent.AddLast(node);
            return true;
        }

        if (_rooms.Count >= maxRooms && _recent.First is { } oldest)
        {
            _recent.RemoveFirst();
            _rooms.Remove(oldest.Value.Key);
        }

        var room = new Room(key);
        room.TryAdvance(source);
        _rooms[key] = _recent.AddLast(room);
        return true;
    }

    private sealed class Room((string Hub, string Group) key)
    {
        // Few sources per room: a list searched in order beats a dictionary, and keeps the least recently advanced first.
        private readonly List<Newest> _sources = new(1);

        public (string Hub, string Group) Key { get; } = key;

        public bool TryAdvance(DeliverySource source)
        {
            for (var i = 0; i < _sources.Count; i++)
            {
                var newest = _sources[i];
                if (newest.Partition != source.Partition || newest.KeyHash != source.KeyHash)
                {
                    continue;
                }

                if (!source.IsAfter(newest.Offset, newest.Index))
                {
                    return false;
                }

                _sources.RemoveAt(i);
                _sources.Add(new Newest(source.Partition, source.KeyHash, source.Offset, source.Index));
                return true;
            }

            if (_sources.Count >= SourcesPerRoom)
            {
                _sources.RemoveAt(0);
            }

            _sources.Add(new Newest(source.Partition, source.KeyHash, source.Offset, source.Index));
            return true;
        }
    }

    private readonly record struct Newest(int Partition, ulong KeyHash, long Offset, int Index);
}
