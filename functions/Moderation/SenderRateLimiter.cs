using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Token buckets per sender and room: each key starts with a full burst and refills at the sustained rate, on the
/// clock of <see cref="TimeProvider"/>. Memory is bounded: at most <c>maxKeys</c> keys, each a 16-byte hash of
/// (hub, room, sender) rather than the strings themselves; a key whose bucket has refilled completely is worth
/// nothing and is dropped as it ages to the least-recently-used end, and at the cap the least recently used key is
/// dropped (that sender starts afresh with a full burst: the limiter errs on the side of letting messages through).
/// </summary>
/// <remarks>
/// State lives in this process only. A room's requests all land on one inbound partition, so the instance that owns
/// the partition sees all of the room's traffic; when the partition moves, the new owner starts with full buckets.
/// Thread-safe; keys are spread over independently locked shards.
/// </remarks>
internal sealed class SenderRateLimiter
{
    private const int MaxIdleEvictionsPerCall = 4;
    private readonly TimeProvider _time;
    private readonly Shard[] _shards;

    public SenderRateLimiter(int maxKeys, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _time = time;
        var shards = Math.Clamp(maxKeys / 1024, 1, 16);
        _shards = Enumerable.Range(0, shards).Select(i => new Shard(maxKeys / shards + (i < maxKeys % shards ? 1 : 0))).ToArray();
    }

    /// <summary>Keys tracked right now.</summary>
    public int Count => _shards.Sum(s => s.Count);

    /// <summary>Keys dropped at the cap while their bucket was not yet full, since startup.</summary>
    public long ForcedEvictions => _shards.Sum(s => s.ForcedEvictions);

    /// <summary>
    /// Takes one token from the bucket of (<paramref name="hub"/>, <paramref name="room"/>, sender), where the sender
    /// is <paramref name="userId"/> or, for an anonymous client, <paramref name="connectionId"/>. False when empty.
    /// </summary>
    public bool TryTake(string hub, string? room, string? userId, string connectionId, double perSecond, int burst)
    {
        var key = KeyOf(hub, room, userId, connectionId);
        return _shards[(int)((ulong)key % (ulong)_shards.Length)].TryTake(key, _time.GetTimestamp(), _time.TimestampFrequency, perSecond, burst);
    }

    /// <summary>A 128-bit digest of the key's parts, each length-prefixed so no two different keys share an encoding.</summary>
    internal static UInt128 KeyOf(string hub, string? room, string? userId, string connectionId)
    {
        var sender = userId ?? connectionId;
        var size = 3 + (4 * 3) + Encoding.UTF8.GetMaxByteCount(hub.Length + (room?.Length ?? 0) + sender.Length);
        var rented = size > 512 ? ArrayPool<byte>.Shared.Rent(size) : null;
        Span<byte> buffer = rented is null ? stackalloc byte[512] : rented;
        try
        {
            var written = 0;
            Append(buffer, ref written, 0, hub);
            Append(buffer, ref written, room is null ? (byte)1 : (byte)2, room ?? "");
            Append(buffer, ref written, userId is null ? (byte)3 : (byte)4, sender);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], digest);
            return BinaryPrimitives.ReadUInt128LittleEndian(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void Append(Span<byte> buffer, ref int written, byte tag, string value)
    {
        buffer[written++] = tag;
        var length = Encoding.UTF8.GetBytes(value, buffer[(written + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[written..], length);
        written += 4 + length;
    }

    private sealed class Bucket
    {
        public UInt128 Key;
        public double Tokens;
        public long Last;
        public long FullAt;
    }

    private sealed class Shard(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<UInt128, LinkedListNode<Bucket>> _map = new(Math.Min(capacity, 4096));
        private readonly LinkedList<Bucket> _recent = new(); // most recently used first
        private long _forcedEvictions;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _map.Count;
                }
            }
        }

        public long ForcedEvictions => Interlocked.Read(ref _forcedEvictions);

        public bool TryTake(UInt128 key, long now, long frequency, double perSecond, int burst)
        {
            lock (_gate)
            {
                DropIdle(now);
                Bucket bucket;
                if (_map.TryGetValue(key, out var node))
                {
                    bucket = node.Value;
                    bucket.Tokens = Math.Min(burst, bucket.Tokens + ((now - bucket.Last) / (double)frequency * perSecond));
                    _recent.Remove(node);
                }
                else
                {
                    node = _map.Count >= capacity ? Evict(_recent.Last!, now) : new LinkedListNode<Bucket>(new Bucket());
                    bucket = node.Value;
                    bucket.Key = key;
                    bucket.Tokens = burst;
                    _map[key] = node;
                }

                _recent.AddFirst(node);
                bucket.Last = now;
                var allowed = bucket.Tokens >= 1;
                if (allowed)
                {
                    bucket.Tokens -= 1;
                }

                // When the bucket will be full again: from then on, forgetting it changes nothing.
                bucket.FullAt = now + (long)Math.Ceiling((burst - bucket.Tokens) / perSecond * frequency);
                return allowed;
            }
        }

        private void DropIdle(long now)
        {
            for (var i = 0; i < MaxIdleEvictionsPerCall && _recent.Last is { } oldest && oldest.Value.FullAt <= now; i++)
            {
                _recent.RemoveLast();
                _map.Remove(oldest.Value.Key);
            }
        }

        private LinkedListNode<Bucket> Evict(LinkedListNode<Bucket> oldest, long now)
        {
            if (oldest.Value.FullAt > now)
            {
                _forcedEvictions++;
            }

            _recent.Remove(oldest);
            _map.Remove(oldest.Value.Key);
            return oldest;
        }
    }
}
