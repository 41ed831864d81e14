using BrokerChat.Functions.Hosting.Kafka;

namespace BrokerChat.Functions.Tests;

public sealed class PartitionProgressTests
{
    [Fact]
    public void CommitOffsetIsTheOneAfterTheLastFinishedRecord()
    {
        var progress = new PartitionProgress(0);
        progress.Started(10);

        Assert.True(progress.Finished(10, out var commit));

        Assert.Equal(11, commit);
        Assert.Equal(0, progress.InFlight);
    }

    [Fact]
    public void OutOfOrderCompletionsCommitOnlyTheContiguousPrefix()
    {
        var progress = new PartitionProgress(0);
        foreach (var offset in new long[] { 5, 6, 7 })
        {
            progress.Started(offset);
        }

        Assert.True(progress.Finished(7, out var afterSeven));
        Assert.Equal(-1, afterSeven);
        Assert.True(progress.Finished(6, out var afterSix));
        Assert.Equal(-1, afterSix);
        Assert.Equal(5, progress.FirstUnfinished);
        Assert.True(progress.Finished(5, out var afterFive));
        Assert.Equal(8, afterFive);
    }

    [Fact]
    public void FailureAsksForARewindToTheFirstUnfinishedRecord()
    {
        var progress = new PartitionProgress(0);
        progress.Started(1);
        progress.Started(2);
        progress.Finished(1, out _);

        Assert.True(progress.Failed(2));

        Assert.True(progress.NeedsRewind);
        Assert.Equal(2, progress.FirstUnfinished);
        Assert.Equal(0, progress.InFlight);
    }

    [Fact]
    public void RetiredProgressReturnsItsSlotsOnceAndIgnoresLateOutcomes()
    {
        var progress = new PartitionProgress(0);
        progress.Started(1);
        progress.Started(2);

        Assert.Equal(2, progress.Retire());

        Assert.False(progress.Finished(1, out var commit));
        Assert.Equal(-1, commit);
        Assert.False(progress.Failed(2));
        Assert.Equal(0, progress.Retire());
    }

    [Fact]
    public void ControlRecordFinishedAtOnceIsCommittedOnlyOnceTheRecordsBeforeItFinishAndHoldsNoInFlightSlot()
    {
        using var offsets = new OffsetStore("inbound", maxInFlight: 1);
        var progress = new PartitionProgress(0);
        offsets.Acquire(TestContext.Current.CancellationToken);
        progress.Started(4);

        offsets.Pass(progress, 5);

        Assert.Equal(-1, progress.CommitOffset);
        Assert.Equal(1, progress.InFlight);
        offsets.Finish(progress, 4);
        Assert.Equal(6, progress.CommitOffset);
        Assert.Equal(0, progress.InFlight);
        offsets.Acquire(TestContext.Current.CancellationToken); // the one slot of the bound is free again
    }

    [Fact]
    public void RewindRequestedWithoutAnOutcomeKeepsTheRecordsHeldForTheRetire()
    {
        var progress = new PartitionProgress(0);
        progress.Started(1);
        progress.Started(2);

        progress.RequestRewind();

        Assert.True(progress.NeedsRewind);
        Assert.Equal(1, progress.FirstUnfinished);
        Assert.Equal(2, progress.Retire());
    }
}
