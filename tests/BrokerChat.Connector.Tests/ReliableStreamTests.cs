using BrokerChat.Connector.Connections;

namespace BrokerChat.Connector.Tests;

public sealed class ReliableStreamTests
{
    private static readonly byte[] Frame = [1, 2, 3];
    private static readonly byte[] Token = [9];

    [Fact]
    public void MessagesAreNumberedFromOneAndWrittenOnceInOrder()
    {
        var stream = new ReliableStream(10, 1000);
        Assert.Equal(1ul, stream.AppendMessage(Frame));
        stream.AppendFrame(Token);
        Assert.Equal(2ul, stream.AppendMessage(Frame));

        Assert.Equal([1ul, 0ul, 2ul], TakeAll(stream));
        Assert.Empty(TakeAll(stream));
        Assert.Equal((2, 6L), (stream.Messages, stream.Bytes));
    }

    [Fact]
    public void AcknowledgedMessagesAreDroppedAndARewindWritesOnlyTheRestAgain()
    {
        var stream = new ReliableStream(10, 1000);
        for (var i = 0; i < 4; i++)
        {
            stream.AppendMessage(Frame);
        }

        TakeAll(stream);
        stream.Acknowledge(2);
        stream.Rewind();

        Assert.Equal([3ul, 4ul], TakeAll(stream));
        Assert.Equal(2, stream.Messages);
    }

    [Fact]
    public void TokenIsKeptForAReplayUntilAMessageAfterItIsAcknowledged()
    {
        var stream = new ReliableStream(10, 1000);
        stream.AppendMessage(Frame);
        stream.AppendFrame(Token);
        stream.AppendMessage(Frame);
        TakeAll(stream);

        stream.Acknowledge(1);
        stream.Rewind();
        Assert.Equal([0ul, 2ul], TakeAll(stream)); // the client may not have the token: it goes again

        stream.Acknowledge(2);
        stream.Rewind();
        Assert.Empty(TakeAll(stream));
    }

    [Fact]
    public void ConsecutiveTokensReplaceEachOtherSoJoinsWithoutMessagesHoldNoMemory()
    {
        var stream = new ReliableStream(10, 1000);
        for (var i = 0; i < 100; i++)
        {
            stream.AppendFrame(Token);
            TakeAll(stream);
        }

        stream.Rewind();
        Assert.Equal([0ul], TakeAll(stream));
    }

    [Fact]
    public void AcknowledgementBeyondWhatWasSentOrBackwardsChangesNothingWrong()
    {
        var stream = new ReliableStream(10, 1000);
        stream.AppendMessage(Frame);
        stream.AppendMessage(Frame);
        stream.Acknowledge(99);
        Assert.Equal(2ul, stream.AcknowledgedId);
        stream.Acknowledge(1);
        Assert.Equal(2ul, stream.AcknowledgedId);
        Assert.Equal(0, stream.Messages);
    }

    [Fact]
    public void BoundsCountMessagesAndBytes()
    {
        var stream = new ReliableStream(2, 5);
        Assert.True(stream.Fits(3));
        stream.AppendMessage(Frame);
        Assert.False(stream.Fits(3)); // 6 bytes > 5
        Assert.True(stream.Fits(2));
        stream.AppendMessage(new byte[2]);
        Assert.False(stream.Fits(0)); // 2 messages
    }

    [Fact]
    public void ResumedNumberingContinuesAfterTheTokensSequenceId()
    {
        var stream = new ReliableStream(10, 1000);
        stream.Resume(41);
        Assert.Equal(42ul, stream.AppendMessage(Frame));
    }

    [Fact]
    public void OnceFramesGoOutInOrderWithTheMessagesUnnumberedAndAreNeverWrittenAgain()
    {
        var stream = new ReliableStream(10, 1000);
        stream.AppendMessage(Frame);
        stream.AppendOnce(History);
        stream.AppendMessage(Frame);
        stream.AppendFrame(Token);
        stream.AppendOnce(Presence);

        Assert.Equal([(1ul, 1), (0ul, 7), (2ul, 1), (0ul, 9), (0ul, 8)], TakeFrames(stream));
        Assert.Equal((2, 6L), (stream.Messages, stream.Bytes)); // written once-only frames are gone

        stream.Rewind();
        Assert.Equal([(1ul, 1), (2ul, 1), (0ul, 9)], TakeFrames(stream));
        stream.Acknowledge(2);
        stream.Rewind();
        Assert.Equal([(0ul, 9)], TakeFrames(stream)); // the token stays until a message after it is acknowledged
    }

    [Fact]
    public void OnceFramesWaitingToBeWrittenCountTowardsTheBoundAndATokenDoesNotReplaceThem()
    {
        var stream = new ReliableStream(2, 1000);
        stream.AppendOnce(History);
        stream.AppendFrame(Token);
        stream.AppendOnce(Presence);
        Assert.False(stream.Fits(1));

        Assert.Equal([(0ul, 7), (0ul, 9), (0ul, 8)], TakeFrames(stream));
        Assert.True(stream.Fits(1));
        Assert.Equal((0, 0L), (stream.Messages, stream.Bytes));
    }

    [Fact]
    public void AnAcknowledgementPastUnwrittenOnceFramesDropsThemWithTheirCount()
    {
        var stream = new ReliableStream(10, 1000);
        stream.AppendOnce(History);
        stream.AppendMessage(Frame);
        stream.Acknowledge(1);
        Assert.Equal((0, 0L), (stream.Messages, stream.Bytes));
        Assert.Empty(TakeFrames(stream));
    }

    private static readonly byte[] History = [7];
    private static readonly byte[] Presence = [8, 8];

    private static List<(ulong SequenceId, byte First)> TakeFrames(ReliableStream stream)
    {
        var frames = new List<(ulong, byte)>();
        while (stream.TryTakeUnsent(out var id, out var frame))
        {
            frames.Add((id, frame.Span[0]));
        }

        return frames;
    }

    private static List<ulong> TakeAll(ReliableStream stream)
    {
        var ids = new List<ulong>();
        while (stream.TryTakeUnsent(out var id, out _))
        {
            ids.Add(id);
        }

        return ids;
    }
}
