using System.Collections.Concurrent;

namespace BrokerChat.Peers.Bare;

/// <summary>
/// The rooms (groups) of one hub. A room exists while it has members. Sends into a room enqueue to its members under
/// the room's lock, so every member sees a room's messages in the order they were sent.
/// </summary>
internal sealed class RoomTable
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    /// <summary>Rooms that have members.</summary>
    public int Count => _rooms.Count;

    /// <summary>Adds a member to a room, making the room when it is new.</summary>
    public void Join(string name, BareConnection member)
    {
        while (true)
        {
            var room = _rooms.GetOrAdd(name, static _ => new Room());
            lock (room.Gate)
            {
                // A room emptied and dropped between the lookup and the lock: look it up again.
                if (!room.Removed)
                {
                    room.Members.Add(member);
                    return;
                }
            }
        }
    }

    /// <summary>Removes a member from a room, dropping the room when it is left empty.</summary>
    public void Leave(string name, BareConnection member)
    {
        if (!_rooms.TryGetValue(name, out var room))
        {
            return;
        }

        lock (room.Gate)
        {
            if (room.Members.Remove(member) && room.Members.Count == 0)
            {
                room.Removed = true;
                _rooms.TryRemove(new KeyValuePair<string, Room>(name, room));
            }
        }
    }

    /// <summary>Enqueues a frame to every member of a room (except <paramref name="sender"/> when <paramref name="noEcho"/>).</summary>
    /// <returns>How many members it was offered to.</returns>
    public int Send(string name, OutgoingFrame frame, BareConnection sender, bool noEcho)
    {
        if (!_rooms.TryGetValue(name, out var room))
        {
            return 0;
        }

        var offered = 0;
        lock (room.Gate)
        {
            foreach (var member in room.Members)
            {
                if (!noEcho || member != sender)
                {
                    member.Enqueue(frame);
                    offered++;
                }
            }
        }

        return offered;
    }

    private sealed class Room
    {
        public readonly Lock Gate = new();
        public readonly HashSet<BareConnection> Members = [];
        public bool Removed;
    }
}
