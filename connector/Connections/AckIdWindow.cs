namespace BrokerChat.Connector.Connections;

/// <summary>
/// Which ackIds of a connection were carried out successfully, so that a request sent again with the same ackId is
/// answered <c>Duplicate</c> instead of being carried out twice. It remembers the <see cref="Size"/> ids up to the
/// highest one recorded (clients number their ackIds upwards), in a fixed 128-byte bitmap whatever the traffic.
/// Not thread-safe: the connection guards it.
/// </summary>
internal sealed class AckIdWindow
{
    /// <summary>How many ids, ending at the highest recorded, are remembered.</summary>
    public const int Size = 1024;

    private readonly ulong[] _bits = new ulong[Size / 64];
    private ulong _highest;
    private bool _any;

    /// <summary>Records a successful ackId.</summary>
    public void Add(ulong ackId)
    {
        if (!_any)
        {
            _any = true;
            _highest = ackId;
        }
        else if (ackId > _highest)
        {
            // Slots of the ids that now fall out of the window are reused for the new ones.
            if (ackId - _highest >= Size)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (var id = _highest + 1; id < ackId; id++)
                {
                    Set(id, false);
                }
            }

            _highest = ackId;
        }
        else if (_highest - ackId >= Size)
        {
            return; // older than anything remembered
        }

        Set(ackId, true);
    }

    /// <summary>Whether <paramref name="ackId"/> was recorded (and is still within the window).</summary>
    public bool Contains(ulong ackId) =>
        _any && ackId <= _highest && _highest - ackId < Size && (_bits[Word(ackId)] & Bit(ackId)) != 0;

    private void Set(ulong ackId, bool value)
    {
        if (value)
        {
            _bits[Word(ackId)] |= Bit(ackId);
        }
        else
        {
            _bits[Word(ackId)] &= ~Bit(ackId);
        }
    }

    private static int Word(ulong ackId) => (int)(ackId % Size / 64);

    private static ulong Bit(ulong ackId) => 1UL << (int)(ackId % 64);
}
