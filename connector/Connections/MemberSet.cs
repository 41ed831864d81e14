namespace BrokerChat.Connector.Connections;

/// <summary>
/// The local members of one group, user or hub. Joins and leaves are O(1) under a lock; fan-out reads an
/// immutable snapshot array that is rebuilt only after the membership changed, so a busy room pays for a
/// rebuild once per change, not once per message.
/// </summary>
internal sealed class MemberSet
{
    private readonly Lock _gate = new();
    private readonly HashSet<ClientConnection> _members = [];
    private ClientConnection[]? _snapshot = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    public bool Add(ClientConnection connection)
    {
        lock (_gate)
        {
            if (!_members.Add(connection))
            {
                return false;
            }

            _snapshot = null;
            return true;
        }
    }

    /// <summary>Removes a member; returns whether the set is now empty (so the owner can drop it).</summary>
    public bool Remove(ClientConnection connection, out bool removed)
    {
        lock (_gate)
        {
            removed = _members.Remove(connection);
            if (removed)
            {
                _snapshot = null;
            }

            return _members.Count == 0;
        }
    }

    public ClientConnection[] Snapshot()
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null)
        {
            return snapshot;
        }

        lock (_gate)
        {
            return _snapshot ??= [.. _members];
        }
    }
}
