using System.Buffers;
using System.Text;

namespace BrokerChat.Peers.Bare;

/// <summary>
/// One serialized text frame, shared by every queue it is written to. A pooled frame counts its references: each
/// queue that takes it adds one, each writer that is done with it releases one, and the last release returns the
/// buffer to the pool.
/// </summary>
internal sealed class OutgoingFrame
{
    private readonly byte[] _buffer;
    private readonly int _length;
    private readonly bool _pooled;
    private int _references = 1;

    private OutgoingFrame(byte[] buffer, int length, bool pooled)
    {
        _buffer = buffer;
        _length = length;
        _pooled = pooled;
    }

    /// <summary>The frame's bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>A copy of <paramref name="bytes"/> in a pooled buffer, with one reference held by the caller.</summary>
    public static OutgoingFrame Pooled(ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new OutgoingFrame(buffer, bytes.Length, pooled: true);
    }

    /// <summary>A frame that lives for the whole process and is never returned.</summary>
    public static OutgoingFrame Constant(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new OutgoingFrame(bytes, bytes.Length, pooled: false);
    }

    /// <summary>Takes one more reference, for a queue the frame is about to be written to.</summary>
    public void AddReference()
    {
        if (_pooled)
        {
            Interlocked.Increment(ref _references);
        }
    }

    /// <summary>Gives up one reference; the last returns the buffer to the pool.</summary>
    public void Release()
    {
        if (_pooled && Interlocked.Decrement(ref _references) == 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
