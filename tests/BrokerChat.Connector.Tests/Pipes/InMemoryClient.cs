using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using BrokerChat.Testing;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// A client on the other end of two in-memory pipes: what it sends is read by the connector as masked client frames,
/// and what the connector writes it reads back as frames. No socket and no Kafka, so a test drives the connector's
/// request and delivery paths directly and sees exactly the bytes a client would.
/// </summary>
internal sealed class InMemoryClient : IDuplexPipe
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();

    /// <summary>Ends an in-memory transport the way aborting a socket does: the connector's read ends.</summary>
    public static readonly Action<object> Abort = static transport => ((InMemoryClient)transport)._toServer.Writer.Complete();

    /// <summary>What the connector reads.</summary>
    public PipeReader Input => _toServer.Reader;

    /// <summary>Where the connector writes.</summary>
    public PipeWriter Output => _toClient.Writer;

    /// <summary>Sends one masked text frame.</summary>
    public Task SendTextAsync(string text) => SendAsync(0x81, Encoding.UTF8.GetBytes(text));

    /// <summary>Sends one masked frame with the given first byte (FIN and opcode).</summary>
    public async Task SendAsync(byte firstByte, byte[] payload)
    {
        var frame = new byte[2 + (payload.Length > 125 ? 2 : 0) + 4 + payload.Length];
        frame[0] = firstByte;
        var at = 2;
        if (payload.Length > 125)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
            at = 4;
        }
        else
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }

        byte[] mask = [0x37, 0xfa, 0x21, 0x3d];
        mask.CopyTo(frame, at);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[at + 4 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        await _toServer.Writer.WriteAsync(frame, TestContext.Current.CancellationToken);
    }

    /// <summary>Ends the client's side, as a dropped TCP connection does.</summary>
    public Task DisconnectAsync() => _toServer.Writer.CompleteAsync().AsTask();

    /// <summary>The next frame the connector wrote (waits up to five seconds).</summary>
    public async Task<RawFrame> ReadFrameAsync()
    {
        var reader = _toClient.Reader;
        while (true)
        {
            var result = await reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            var buffer = result.Buffer;
            if (TryRead(ref buffer, out var frame))
            {
                reader.AdvanceTo(buffer.Start);
                return frame;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The connector ended the connection before writing another frame.");
            }
        }
    }

    /// <summary>The next frame, as text.</summary>
    public async Task<string> ReadTextAsync() => (await ReadFrameAsync()).Text;

    /// <summary>Whether a frame is waiting that has not been read.</summary>
    public bool HasUnreadFrame()
    {
        if (!_toClient.Reader.TryRead(out var result))
        {
            return false;
        }

        var buffer = result.Buffer;
        var has = TryRead(ref buffer, out _);
        _toClient.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        return has;
    }

    private static bool TryRead(ref ReadOnlySequence<byte> buffer, out RawFrame frame)
    {
        frame = null!;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[10];
        buffer.Slice(0, Math.Min(10, buffer.Length)).CopyTo(head);
        var (length, header) = (head[1] & 0x7F) switch
        {
            126 => ((long)BinaryPrimitives.ReadUInt16BigEndian(head[2..]), 4),
            127 => ((long)BinaryPrimitives.ReadUInt64BigEndian(head[2..]), 10),
            var l => (l, 2),
        };
        if (buffer.Length < header + length)
        {
            return false;
        }

        frame = new RawFrame((head[0] & 0x80) != 0, head[0] & 0x0F, buffer.Slice(header, length).ToArray());
        buffer = buffer.Slice(header + length);
        return true;
    }
}
