namespace BrokerChat.Connector.Connections;

/// <summary>
/// The outbound stream of a reliable connection: every data message, numbered with the connection's
/// <c>sequenceId</c> (1, 2, 3, … for the life of the session), and the token refreshes that must reach the client in
/// order with them. Entries stay until the client acknowledges them (<c>sequenceAck</c>), so the stream doubles as the
/// replay buffer: after a recovery everything not acknowledged is written again, in order, before anything new.
/// It also carries once-only frames (history on join, presence messages): unnumbered, in order with the rest, written
/// once and dropped as soon as they are, so they are never replayed (another connector resuming the session could not
/// reproduce them either). Bounded by <see cref="MaxMessages"/> and <see cref="MaxBytes"/> of unacknowledged messages
/// and unwritten once-only frames; the owner ends the session when an append would exceed them. Not thread-safe: the
/// owning <see cref="ClientConnection"/> guards it.
/// </summary>
internal sealed class ReliableStream(int maxMessages, long maxBytes)
{
    private const int InitialCapacity = 4;

    private Entry[] _ring = [];
    private int _head;
    private int _count;
    private int _sent; // entries from the head already written to the current transport

    /// <summary>Unacknowledged messages allowed.</summary>
    public int MaxMessages { get; } = maxMessages;

    /// <summary>Unacknowledged message bytes allowed.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>The last sequence id given out (0 before the first message).</summary>
    public ulong LastSequenceId { get; private set; }

    /// <summary>The highest sequence id the client acknowledged.</summary>
    public ulong AcknowledgedId { get; private set; }

    /// <summary>Unacknowledged messages and unwritten once-only frames held.</summary>
    public int Messages { get; private set; }

    /// <summary>Bytes of unacknowledged messages and unwritten once-only frames held.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether entries are waiting to be written.</summary>
    public bool HasUnsent => _sent < _count;

    /// <summary>Starts the numbering after <paramref name="lastSequenceId"/> (a session resumed from a reconnection token).</summary>
    public void Resume(ulong lastSequenceId)
    {
        LastSequenceId = lastSequenceId;
        AcknowledgedId = lastSequenceId;
    }

    /// <summary>Whether one more message of <paramref name="length"/> bytes fits.</summary>
    public bool Fits(int length) => Messages < MaxMessages && Bytes + length <= MaxBytes;

    /// <summary>
    /// Appends a message, not to be written after <paramref name="expiresAt"/> (Unix ms; 0 = never), and returns its
    /// sequence id. The caller checked <see cref="Fits"/>.
    /// </summary>
    public ulong AppendMessage(ReadOnlyMemory<byte> frame, long expiresAt = 0)
    {
        var sequenceId = ++LastSequenceId;
        Add(new Entry(sequenceId, frame, EntryKind.Message, expiresAt));
        Messages++;
        Bytes += frame.Length;
        return sequenceId;
    }

    /// <summary>Appends an unnumbered frame to be written once, in order, and never again. The caller checked <see cref="Fits"/>.</summary>
    public void AppendOnce(ReadOnlyMemory<byte> frame)
    {
        Add(new Entry(0, frame, EntryKind.Once));
        Messages++;
        Bytes += frame.Length;
    }

    /// <summary>Appends an unnumbered frame (a token refresh) that must be written in order with the messages.</summary>
    public void AppendFrame(ReadOnlyMemory<byte> frame)
    {
        // A newer token supersedes the one right before it (no message between them): memory stays bounded however
        // often a client joins and leaves groups without messages in between.
        if (_count > 0 && _ring[(_head + _count - 1) % _ring.Length].Kind == EntryKind.Token)
        {
            _ring[(_head + _count - 1) % _ring.Length] = new Entry(0, frame, EntryKind.Token);
            _sent = Math.Min(_sent, _count - 1);
            return;
        }

        Add(new Entry(0, frame, EntryKind.Token));
    }

    /// <summary>When the next entry to write expires (Unix ms), or 0 when it never does or there is none.</summary>
    public long NextUnsentExpiresAt => _sent < _count ? _ring[(_head + _sent) % _ring.Length].ExpiresAt : 0;

    /// <summary>
    /// Skips the next entry to write, a message whose time to live passed: it is never written, on this transport or a
    /// replay, and keeps its place and sequence id until a later message is acknowledged. The caller checked
    /// <see cref="NextUnsentExpiresAt"/>.
    /// </summary>
    public void ExpireNextUnsent()
    {
        var index = (_head + _sent) % _ring.Length;
        var entry = _ring[index];
        Bytes -= entry.Frame.Length;
        _ring[index] = new Entry(entry.SequenceId, ReadOnlyMemory<byte>.Empty, EntryKind.Expired);
        _sent++;
    }

    /// <summary>Takes the next entry to write, or false when all were written.</summary>
    public bool TryTakeUnsent(out ulong sequenceId, out ReadOnlyMemory<byte> frame)
    {
        while (_sent < _count && _ring[(_head + _sent) % _ring.Length].Kind == EntryKind.Expired)
        {
            _sent++; // expired before an earlier transport wrote it: not written on a replay either
        }

        if (_sent >= _count)
        {
            sequenceId = 0;
            frame = default;
            return false;
        }

        var entry = _ring[(_head + _sent) % _ring.Length];
        sequenceId = entry.SequenceId;
        frame = entry.Frame;
        if (entry.Kind == EntryKind.Once)
        {
            RemoveUnsentHead();
        }
        else
        {
            _sent++;
        }

        return true;
    }

    /// <summary>
    /// The client has every message up to <paramref name="sequenceId"/>: they are dropped. An id beyond what was
    /// written is taken as far as what was written.
    /// </summary>
    public void Acknowledge(ulong sequenceId)
    {
        if (sequenceId <= AcknowledgedId)
        {
            return;
        }

        AcknowledgedId = Math.Min(sequenceId, LastSequenceId);

        // Everything up to the last acknowledged message goes, unnumbered frames among them too: the client has them,
        // because it acknowledged something written after them. Frames after that message stay for a replay.
        var remove = 0;
        for (var i = 0; i < _count; i++)
        {
            var id = _ring[(_head + i) % _ring.Length].SequenceId;
            if (id > AcknowledgedId)
            {
                break;
            }

            if (id != 0)
            {
                remove = i + 1;
            }
        }

        for (; remove > 0; remove--)
        {
            RemoveHead();
        }
    }

    /// <summary>A new transport: everything still held is written again, in order.</summary>
    public void Rewind() => _sent = 0;

    /// <summary>Drops everything (the session ended).</summary>
    public void Clear()
    {
        Array.Clear(_ring);
        _head = 0;
        _count = 0;
        _sent = 0;
        Messages = 0;
        Bytes = 0;
    }

    private void RemoveHead()
    {
        var entry = _ring[_head];
        _ring[_head] = default;
        _head = (_head + 1) % _ring.Length;
        _count--;
        if (_sent > 0)
        {
            _sent--;
        }

        if (entry.Kind != EntryKind.Token)
        {
            Messages--;
            Bytes -= entry.Frame.Length;
        }
    }

    /// <summary>
    /// Removes the first unwritten entry (a once-only frame being written now): the written entries before it move up
    /// one place, so the cost is the number of entries written and not yet acknowledged.
    /// </summary>
    private void RemoveUnsentHead()
    {
        var length = _ring.Length;
        var removed = _ring[(_head + _sent) % length];
        for (var i = _sent; i > 0; i--)
        {
            _ring[(_head + i) % length] = _ring[(_head + i - 1) % length];
        }

        _ring[_head] = default;
        _head = (_head + 1) % length;
        _count--;
        Messages--;
        Bytes -= removed.Frame.Length;
    }

    private void Add(Entry entry)
    {
        if (_count == _ring.Length)
        {
            var larger = new Entry[Math.Max(InitialCapacity, _ring.Length * 2)];
            for (var i = 0; i < _count; i++)
            {
                larger[i] = _ring[(_head + i) % _ring.Length];
            }

            _ring = larger;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = entry;
        _count++;
    }

    /// <summary>What an entry is.</summary>
    private enum EntryKind : byte
    {
        /// <summary>A numbered data message, kept until acknowledged.</summary>
        Message,

        /// <summary>A token refresh, kept until a message after it is acknowledged.</summary>
        Token,

        /// <summary>A frame written once and then dropped.</summary>
        Once,

        /// <summary>A numbered message whose time to live passed before it was written: never written, kept until acknowledged past.</summary>
        Expired,
    }

    /// <summary>One entry: a message (sequence id ≥ 1) or an unnumbered frame (0), and when a message expires unwritten (Unix ms; 0 = never).</summary>
    private readonly record struct Entry(ulong SequenceId, ReadOnlyMemory<byte> Frame, EntryKind Kind, long ExpiresAt = 0);
}
