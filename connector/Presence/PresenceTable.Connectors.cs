namespace BrokerChat.Connector.Presence;

// The connectors heard from: when each was last seen, the memberships it holds, and the sweep that counts the silent
// ones dead (removing their members) and forgets old tombstones.
internal sealed partial class PresenceTable
{
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
