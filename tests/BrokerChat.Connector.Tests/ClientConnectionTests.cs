using System.Buffers;
using System.IO.Pipelines;
using BrokerChat.Connector.Connections;
using BrokerChat.Testing;

namespace BrokerChat.Connector.Tests;

public sealed class ClientConnectionTests
{
    [Fact]
    public void QueueOverflowInMessagesClosesTheConnectionAsSlowClient()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 2, maxQueuedBytes: 1024);
        Assert.True(connection.TryEnqueue(new byte[10]));
        Assert.True(connection.TryEnqueue(new byte[10]));

        Assert.False(connection.TryEnqueue(new byte[10]));

        Assert.True(connection.IsClosing);
        Assert.StartsWith("SlowClient", connection.CloseReason, StringComparison.Ordinal);
        Assert.False(connection.TryEnqueue(new byte[1]));
    }

    [Fact]
    public void QueueOverflowInBytesClosesTheConnectionAndKeepsTheCountHonest()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 100, maxQueuedBytes: 100);
        Assert.True(connection.TryEnqueue(new byte[60]));

        Assert.False(connection.TryEnqueue(new byte[60]));

        Assert.True(connection.IsClosing);
        Assert.Equal(0, connection.QueuedBytes); // the slow client's queue is dropped, and no longer counted
    }

    [Fact(Timeout = 10_000)]
    public async Task FramesQueuedBeforeAndAfterAttachGoOutInOrderWithTheirHeaders()
    {
        var pipe = new Pipe();
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024);
        connection.TryEnqueue("first"u8.ToArray());

        connection.Attach(pipe.Writer, pipe, static _ => { });
        connection.TryEnqueue("second"u8.ToArray());
        connection.TrySendPing();

        var frames = await ReadFramesAsync(pipe.Reader, 3);
        Assert.Equal([(1, "first"), (1, "second"), (9, "")], frames.Select(f => (f.Opcode, f.Text)));
        await connection.WhenDrainedAsync().WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, connection.QueuedBytes);
    }

    [Fact(Timeout = 10_000)]
    public async Task ServerCloseSendsDisconnectedThenTheCloseFrameAndTheDrainEnds()
    {
        var pipe = new Pipe();
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024);
        connection.Attach(pipe.Writer, pipe, static _ => { });

        connection.Close(ClientConnection.ServiceRestart, "The server is restarting; reconnect.", kind: "shutdown");
        await connection.WhenDrainedAsync().WaitAsync(TestContext.Current.CancellationToken);

        var frames = await ReadFramesAsync(pipe.Reader, 2);
        Assert.Contains("\"event\":\"disconnected\"", frames[0].Text, StringComparison.Ordinal);
        Assert.Equal((8, 1012, "The server is restarting; reconnect."), (frames[1].Opcode, frames[1].CloseCode, frames[1].CloseReason));
        Assert.False(connection.TryEnqueue("late"u8.ToArray()));
    }

    [Fact(Timeout = 10_000)]
    public async Task TransportThatStopsTakingBytesNeverBlocksTheQueuingThreadAndEndsAsSlowClient()
    {
        // Nobody reads this pipe, and it refuses more than 1 KiB: the drain waits in its flush, the queue fills.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        var aborted = new TaskCompletionSource();
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 50, maxQueuedBytes: 64 * 1024);
        connection.Attach(pipe.Writer, aborted, static t => ((TaskCompletionSource)t).TrySetResult());

        var accepted = 0;
        while (connection.TryEnqueue(new byte[100]))
        {
            accepted++;
        }

        Assert.InRange(accepted, 50, 70);
        Assert.StartsWith("SlowClient", connection.CloseReason, StringComparison.Ordinal);
        connection.Abort(); // what the heartbeat does when the close does not finish in time
        await aborted.Task.WaitAsync(TestContext.Current.CancellationToken);
        await pipe.Reader.CompleteAsync(); // the transport goes away
        await connection.WhenDrainedAsync().WaitAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<List<RawFrame>> ReadFramesAsync(PipeReader reader, int count)
    {
        var frames = new List<RawFrame>();
        while (frames.Count < count)
        {
            var result = await reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            var buffer = result.Buffer;
            while (frames.Count < count && TryReadServerFrame(ref buffer, out var frame))
            {
                frames.Add(frame);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        return frames;
    }

    private static bool TryReadServerFrame(ref ReadOnlySequence<byte> buffer, out RawFrame frame)
    {
        frame = null!;
        if (buffer.Length < 2)
        {
            return false;
        }

        var bytes = buffer.ToArray();
        var (length, header) = (bytes[1] & 0x7F) switch
        {
            126 => ((bytes[2] << 8) | bytes[3], 4),
            var l => (l, 2),
        };
        if (bytes.Length < header + length)
        {
            return false;
        }

        frame = new RawFrame((bytes[0] & 0x80) != 0, bytes[0] & 0x0F, bytes.AsSpan(header, length).ToArray());
        buffer = buffer.Slice(header + length);
        return true;
    }

    [Fact]
    public void PendingAcksExpireAtTheirDeadlineAndOnlyOnce()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024);
        Assert.True(connection.TryAddPendingAck(1, deadlineTimestamp: 100, out _));
        Assert.True(connection.TryAddPendingAck(2, deadlineTimestamp: 200, out _));
        Assert.False(connection.TryAddPendingAck(1, deadlineTimestamp: 300, out var refusal));
        Assert.Equal(PendingRefusal.Duplicate, refusal);

        Assert.Equal([1UL], connection.ExpireAcks(150));
        Assert.Null(connection.ExpireAcks(150));
        Assert.False(connection.TryCompleteAck(1));
        Assert.True(connection.TryCompleteAck(2));
        Assert.Equal(0, connection.PendingAckCount);
    }

    [Fact]
    public void RequestsAwaitingAnOutcomeAreBoundedAcrossConnectionsAndEveryWayTheyEndGivesTheirPlaceBack()
    {
        var awaited = new AwaitedOutcomes(3);
        using var first = new ClientConnection("c1", "hub", "u", [], 10, 1024) { AwaitedOutcomes = awaited };
        using var second = new ClientConnection("c2", "hub", "u", [], 10, 1024) { AwaitedOutcomes = awaited };
        Assert.True(first.TryAddPendingAck(1, deadlineTimestamp: 100, out _));
        Assert.True(first.TryAddPendingInvocation("i", deadlineTimestamp: 100, out _));
        Assert.True(second.TryAddPendingAck(1, deadlineTimestamp: 200, out _));

        Assert.False(second.TryAddPendingAck(2, deadlineTimestamp: 200, out var refusal));
        Assert.Equal(PendingRefusal.Busy, refusal);
        Assert.False(first.TryAddPendingAck(1, deadlineTimestamp: 200, out refusal));
        Assert.Equal(PendingRefusal.Duplicate, refusal);
        Assert.Equal(3, awaited.Count);

        Assert.True(second.TryCompleteAck(1)); // an outcome
        Assert.Equal(2, awaited.Count);
        Assert.Equal([1UL], first.ExpireAcks(150)); // a timeout
        Assert.Equal(1, awaited.Count);
        Assert.True(second.TryAddPendingAck(2, deadlineTimestamp: 200, out _));
        first.ClearPendingAcks(); // the end of a connection, with an invocation pending
        second.ClearPendingAcks();
        Assert.Equal(0, awaited.Count);
    }
}
