using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.History;

/// <summary>What a position is kept for: one target of deliveries.</summary>
/// <param name="Hub">The hub.</param>
/// <param name="Kind">What kind of target.</param>
/// <param name="Name">The group, user or connection; "" for a whole hub.</param>
/// <param name="ChangedGroup">For a join or leave command, the group joined or left ("" for every group); else null.</param>
internal readonly record struct PositionTarget(string Hub, DeliveryTarget Kind, string Name, string? ChangedGroup);

/// <summary>
/// Per target of deliveries (a room, a user, a connection or a whole hub), the newest <see cref="DeliverySource"/> of
/// each source (inbound partition and key) whose delivery was fanned out here, so that a repeat (a delivery at or
/// below it) is recognised however long ago the original was delivered and whatever the room history still holds:
/// the output of a worker that lost its partitions but still produced what it held, or of a new owner handling again
/// records whose offsets were not committed. Bounded: at most <see cref="SourcesPerTarget"/> sources per target (the
/// one advanced longest ago goes first) and at most <c>maxTargets</c> targets (the one advanced longest ago goes
/// first). Not thread-safe: the delivery dispatcher's gate guards it.
/// </summary>
internal sealed class TargetPositions(int maxTargets)
{
    /// <summary>Sources kept per target: a room's own key, plus those of connections whose events make group messages.</summary>
    public const int SourcesPerTarget = 16;

    private readonly Dictionary<PositionTarget, LinkedListNode<Target>> _targets = [];
    private readonly LinkedList<Target> _recent = new(); // least recently advanced first

    /// <summary>Targets with positions.</summary>
    public int Targets => _targets.Count;

    /// <summary>
    /// Records that <paramref name="source"/>'s delivery to <paramref name="key"/> is carried out; false, recording
    /// nothing, when the target already had a delivery of the same source at or after that position (a repeat, not
    /// to be carried out).
    /// </summary>
    public bool TryAdvance(PositionTarget key, DeliverySource source)
    {
        if (_targets.TryGetValue(key, out var node))
        {
            if (!node.Value.TryAdvance(source))
            {
                return false;
            }

            _recent.Remove(node);
            _recent.AddLast(node);
            return true;
        }

        if (_targets.Count >= maxTargets && _recent.First is { } oldest)
        {
            _recent.RemoveFirst();
            _targets.Remove(oldest.Value.Key);
        }

        var target = new Target(key);
        target.TryAdvance(source);
        _targets[key] = _recent.AddLast(target);
        return true;
    }

    private sealed class Target(PositionTarget key)
    {
        // Few sources per target: a list searched in order beats a dictionary, and keeps the least recently advanced first.
        private readonly List<Newest> _sources = new(1);

        public PositionTarget Key { get; } = key;

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

            if (_sources.Count >= SourcesPerTarget)
            {
                _sources.RemoveAt(0);
            }

            _sources.Add(new Newest(source.Partition, source.KeyHash, source.Offset, source.Index));
            return true;
        }
    }

    private readonly record struct Newest(int Partition, ulong KeyHash, long Offset, int Index);
}
