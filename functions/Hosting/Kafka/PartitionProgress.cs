namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// The records of one assigned partition that were read but not yet finished, so that only the contiguous prefix
/// of finished records is committed: a record is committed only after every record before it is done.
/// </summary>
/// <remarks>
/// Records are added by the poll thread in offset order; they finish on the producer's delivery thread (or at once,
/// for a control record), out of order when the lane's key slots run them at once. One instance lives for one
/// assignment of the partition: after a revoke or a rewind a new one takes over and late completions reaching the old
/// one are ignored.
/// </remarks>
internal sealed class PartitionProgress(int partition)
{
    private readonly Lock _gate = new();
    private readonly Queue<long> _pending = new();
    private readonly HashSet<long> _finishedOutOfOrder = [];
    private long _nextCommit = -1;
    private int _slots;

    /// <summary>The partition tracked.</summary>
    public int Partition { get; } = partition;

    /// <summary>False once this assignment was revoked, lost or rewound.</summary>
    public bool IsCurrent { get; private set; } = true;

    /// <summary>Set when a delivery failed; the poll thread then rewinds the partition to <see cref="FirstUnfinished"/>.</summary>
    public bool NeedsRewind { get; private set; }

    /// <summary>Records read whose outcome (finished or failed) is not known yet.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _slots;
            }
        }
    }

    /// <summary>The offset to resume from: the first unfinished record, or the next offset to commit.</summary>
    public long FirstUnfinished
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count > 0 ? _pending.Peek() : _nextCommit;
            }
        }
    }

    /// <summary>The offset to commit (the next one to read), or -1 when nothing has finished yet.</summary>
    public long CommitOffset
    {
        get
        {
            lock (_gate)
            {
                return _nextCommit;
            }
        }
    }

    /// <summary>Records that <paramref name="offset"/> was read.</summary>
    public void Started(long offset)
    {
        lock (_gate)
        {
            _pending.Enqueue(offset);
            _slots++;
        }
    }

    /// <summary>
    /// Records that <paramref name="offset"/> is finished. Returns false when this assignment was retired (the
    /// record's slot was already given back). <paramref name="commit"/> is the new commit offset when the
    /// contiguous finished prefix grew, else -1.
    /// </summary>
    public bool Finished(long offset, out long commit)
    {
        lock (_gate)
        {
            commit = -1;
            if (!IsCurrent)
            {
                return false;
            }

            _slots--;
            if (_pending.Count == 0 || _pending.Peek() != offset)
            {
                _finishedOutOfOrder.Add(offset);
                return true;
            }

            _pending.Dequeue();
            var last = offset;
            while (_pending.Count > 0 && _finishedOutOfOrder.Remove(_pending.Peek()))
            {
                last = _pending.Dequeue();
            }

            _nextCommit = last + 1;
            commit = _nextCommit;
            return true;
        }
    }

    /// <summary>
    /// Records that a delivery of <paramref name="offset"/> failed, so the partition must be read again from its
    /// first unfinished record. Returns false when this assignment was already retired.
    /// </summary>
    public bool Failed(long offset)
    {
        lock (_gate)
        {
            if (!IsCurrent)
            {
                return false;
            }

            _slots--;
            NeedsRewind = true;
            return true;
        }
    }

    /// <summary>
    /// Asks for a rewind to the first unfinished record without an outcome for any record (a slot of the lane failed
    /// outside the handler): the records still held are given back when the rewind retires this assignment.
    /// </summary>
    public void RequestRewind()
    {
        lock (_gate)
        {
            if (IsCurrent)
            {
                NeedsRewind = true;
            }
        }
    }

    /// <summary>Ends this assignment: later outcomes are ignored. Returns the slots still held, for the caller to give back.</summary>
    public int Retire()
    {
        lock (_gate)
        {
            IsCurrent = false;
            var held = _slots;
            _slots = 0;
            return held;
        }
    }
}
