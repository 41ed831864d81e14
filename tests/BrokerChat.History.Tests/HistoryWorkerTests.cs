using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.History;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static BrokerChat.History.Tests.HistoryKafka;

namespace BrokerChat.History.Tests;

/// <summary>The history function on the embedded Kafka, writing to both databases.</summary>
public sealed class HistoryWorkerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory(Timeout = 120_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task GroupMessagesAreWrittenInRoomOrderAndEverythingElseIsLeftOut(HistoryProvider provider)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await Stores.CreateAsync(provider);
        using var kafka = new HistoryKafka();
        using var host = await kafka.StartAsync(store.Options, ct, settings: s => s["History:Hubs:quiet:Enabled"] = "false");

        // First, so that it would be in the first batch: a message with a time to live is not history.
        var shortLived = Message("room0", "ttl-1", "short-lived");
        shortLived.ExpiresAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        var deliveries = new List<Delivery> { shortLived };
        for (var i = 0; i < 200; i++)
        {
            deliveries.Add(Message($"room{i % 7}", $"0-{i}", $"m{i}"));
        }

        var ackOnly = Message("room0", "ack", "x");
        ackOnly.HasMessage = false;
        ackOnly.Payload = null;
        deliveries.Add(ackOnly);
        deliveries.Add(new Delivery { Target = DeliveryTarget.User, Hub = "hub", UserId = "alice", MessageId = "u-1", Payload = [1], FromUserId = "bob" });
        var command = Message("room0", "cmd", "x");
        command.Command = DeliveryCommand.AddToGroup;
        deliveries.Add(command);
        deliveries.Add(Message("room0", "q-1", "not kept", hub: "quiet"));
        await kafka.ProduceAsync(deliveries, ct);

        var worker = host.Services.GetRequiredService<HistoryWorker>();
        await Waits.UntilAsync(() => worker.Written == 200, "200 messages are written", ct);
        for (var room = 0; room < 7; room++)
        {
            var page = await store.ReadPageAsync("hub", $"room{room}", PageDirection.After, null, 100, ct).WaitAsync(Timeout, ct);
            Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 7 == room).Select(i => $"m{i}"), page.Messages.Select(Stores.Text));
        }

        Assert.Empty((await store.ReadPageAsync("quiet", "room0", PageDirection.After, null, 10, ct).WaitAsync(Timeout, ct)).Messages);
        await host.StopAsync(ct).WaitAsync(Timeout, ct);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task AHistoryFunctionStoppedMidBacklogLeavesItsSuccessorNothingTwice(HistoryProvider provider)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await Stores.CreateAsync(provider);
        using var kafka = new HistoryKafka();
        var settings = (Action<Dictionary<string, string?>>)(s => s["History:BatchSize"] = "20");
        var first = await kafka.StartAsync(store.Options, ct, settings: settings);
        var messages = Enumerable.Range(0, 2_000).Select(i => Message($"room{i % 3}", $"0-{i}", $"m{i}")).ToList();
        await kafka.ProduceAsync(messages, ct);
        // Also what the functions produce when they handle requests again: the same ids a second time.
        await kafka.ProduceAsync(messages.Take(300), ct);

        var worker = first.Services.GetRequiredService<HistoryWorker>();
        await Waits.UntilAsync(() => worker.Written >= 100, "some messages are written", ct);
        // Stopped mid-backlog: its lanes are cancelled and whatever batch was being written is rolled back.
        await first.StopAsync(ct).WaitAsync(Timeout, ct);
        first.Dispose();
        Assert.True(worker.Written >= 100);

        using var second = await kafka.StartAsync(store.Options, ct, settings: settings);
        var successor = second.Services.GetRequiredService<HistoryWorker>();
        await Waits.UntilAsync(() => worker.Written + successor.Written >= 2_000, "every message is written", ct);
        long total = 0;
        for (var room = 0; room < 3; room++)
        {
            var page = await store.ReadPageAsync("hub", $"room{room}", PageDirection.After, null, 1_000, ct).WaitAsync(Timeout, ct);
            Assert.Equal(Enumerable.Range(0, 2_000).Where(i => i % 3 == room).Select(i => $"m{i}"), page.Messages.Select(Stores.Text));
            total += page.Messages.Count;
        }

        Assert.Equal(2_000, total);
        Assert.Equal(2_000, worker.Written + successor.Written);
        await second.StopAsync(ct).WaitAsync(Timeout, ct);
    }

    [Fact(Timeout = 120_000)]
    public async Task ALockedDatabaseHoldsTheHistoryBackUntilItIsFreeAndLosesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await Stores.CreateAsync(HistoryProvider.Sqlite);
        using var kafka = new HistoryKafka();
        using var host = await kafka.StartAsync(store.Options, ct, settings: s => s["History:CommandTimeout"] = "00:00:01");
        var worker = host.Services.GetRequiredService<HistoryWorker>();
        var metrics = host.Services.GetRequiredService<HistoryMetrics>();
        await kafka.ProduceAsync([Message("room", "0-0", "before")], ct);
        await Waits.UntilAsync(() => worker.Written == 1, "the first message is written", ct);

        // Another writer holds the database: every write of the history function fails until it lets go.
        await using (var blocker = new SqliteConnection(store.Options.ConnectionString))
        {
            await blocker.OpenAsync(ct);
            await using var transaction = (SqliteTransaction)await blocker.BeginTransactionAsync(ct);
            await using (var write = blocker.CreateCommand())
            {
                write.Transaction = transaction;
                write.CommandText = "UPDATE brokerchat_history_partitions SET next_offset = next_offset";
                await write.ExecuteNonQueryAsync(ct);
            }

            await kafka.ProduceAsync(Enumerable.Range(1, 50).Select(i => Message("room", $"0-{i}", $"while locked {i}")), ct);
            await Waits.UntilAsync(() => metrics.LagByPartition.Values.Sum() >= 50, "the lag shows the unwritten messages", ct);
            Assert.Equal(1, worker.Written);
            await transaction.RollbackAsync(ct);
        }

        await Waits.UntilAsync(() => worker.Written == 51, "the backlog is written once the database is free", ct);
        var page = await store.ReadPageAsync("hub", "room", PageDirection.After, null, 100, ct).WaitAsync(Timeout, ct);
        Assert.Equal(["before", .. Enumerable.Range(1, 50).Select(i => $"while locked {i}")], page.Messages.Select(Stores.Text));
        await Waits.UntilAsync(() => metrics.LagByPartition.Values.Sum() == 0, "the lag is back to zero", ct);
        await host.StopAsync(ct).WaitAsync(Timeout, ct);
    }
}
