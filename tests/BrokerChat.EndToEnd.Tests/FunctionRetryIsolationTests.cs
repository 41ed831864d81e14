using System.Text.Json.Nodes;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>A partition waiting on retries holds up no other partition.</summary>
public sealed class FunctionRetryIsolationTests(PatientFunctionsFixture fixture) : IClassFixture<PatientFunctionsFixture>
{
    private const int Timeout = 60_000;
    private const int Partitions = 12;

    [Fact(Timeout = Timeout)]
    public async Task RoomWhoseRequestsKeepFailingHoldsUpNoOtherRoomAndCatchesUpInOrderOnceTheyPass()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "isolation";
        var (stuck, free) = RoomsOnDifferentPartitions(hub);
        await using var alice = await fixture.Host.ConnectAsync(hub, "alice", ct);
        await alice.JoinGroupAsync(stuck, ct);
        await alice.JoinGroupAsync(free, ct);
        using var metrics = new MetricsRecorder(fixture.Host.Services, FunctionsMetrics.MeterName);
        fixture.Failures.FailingRooms[stuck] = true;
        var failedBefore = fixture.Failures.FailedTries;

        // More than the partition's queue holds (4): the worker pauses that partition alone.
        var stuckAcks = new List<Task<AckFrame>>();
        for (var i = 0; i < 12; i++)
        {
            stuckAcks.Add(await alice.SendWithoutWaitingAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = stuck, ["dataType"] = "text", ["data"] = $"s{i}" }, ct));
        }

        await Wait.UntilAsync(() => fixture.Failures.FailedTries - failedBefore >= 2, ct);
        for (var i = 0; i < 5; i++)
        {
            var ack = await alice.SendToGroupAsync(free, $"f{i}", cancellationToken: ct);
            Assert.True(ack!.Success, ack.ErrorMessage);
            Assert.Equal($"f{i}", (string?)(await alice.NextMessageAsync(ct))["data"]);
        }

        Assert.All(stuckAcks, a => Assert.False(a.IsCompleted));
        await Wait.UntilAsync(() => metrics.Total("brokerchat.functions.pauses") > 0, ct);
        var stuckPartition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, stuck), Partitions);
        await Wait.UntilAsync(() => metrics.Observe("brokerchat.functions.lag", "partition", stuckPartition) >= 12, ct);
        fixture.Failures.FailingRooms.TryRemove(stuck, out _);

        var outcomes = await Task.WhenAll(stuckAcks);
        Assert.All(outcomes, a => Assert.True(a.Success, a.ErrorMessage));
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal($"s{i}", (string?)(await alice.NextMessageAsync(ct))["data"]);
        }

        await Wait.UntilAsync(() => metrics.Observe("brokerchat.functions.lag", "partition", stuckPartition) == 0, ct);
    }

    private static (string Stuck, string Free) RoomsOnDifferentPartitions(string hub)
    {
        var stuckPartition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, "stuck"), Partitions);
        var free = Enumerable.Range(0, 100).Select(i => $"free{i}")
            .First(g => PartitionKeys.PartitionOf(PartitionKeys.Room(hub, g), Partitions) != stuckPartition);
        return ("stuck", free);
    }
}
