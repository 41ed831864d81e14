using BrokerChat.Contracts.Messages;
using System.Text;
using static BrokerChat.History.Tests.Stores;

namespace BrokerChat.History.Tests;

/// <summary>The store on both databases: batches, idempotency, pages, retention, recovery ranges, epochs, changes, migrations.</summary>
public sealed class HistoryStoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task ABatchWrittenAgainWritesNothingNew(HistoryProvider provider)
    {
        // The largest bound a room may have keeps everything.
        await using var store = await CreateAsync(provider, o => o.MaxMessagesPerRoom = int.MaxValue);
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(10, await store.WriteBatchAsync(0, 0, 10, Records("room", 0, 10), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        // A redelivery overlapping the first batch: only the new records are written.
        Assert.Equal(5, await store.WriteBatchAsync(0, 0, 15, Records("room", 5, 10), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var page = await store.ReadPageAsync("hub", "room", PageDirection.After, null, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"m{i}"), page.Messages.Select(Text));
        Assert.Null(page.Next);
        Assert.Equal(15, (await store.ReadMarksAsync(Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Single().NextOffset);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task ALargeBatchAcrossRoomsWithRepeatedIdsKeepsOffsetOrderAndWritesEachIdOnce(HistoryProvider provider)
    {
        // A room bound two of the rooms pass by more than a tenth, so retention's count has to be right too.
        await using var store = await CreateAsync(provider, o => o.Hubs["hub"] = new HubHistoryOptions { MaxMessagesPerRoom = 1_000 });
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        string[] rooms = ["a", "b", "c", "d", "e"];
        // Rooms interleaved unevenly; every seventh record repeats the id of the record three before it (a request the
        // functions handled twice), which is in the same room then only when both offsets pick the same room.
        var records = Enumerable.Range(0, 5_000)
            .Select(i => Record(rooms[(i / 3 + i * i) % rooms.Length], i, $"m{i}", id: i % 7 == 6 ? $"0-{i - 3}" : null))
            .ToArray();
        var expected = records.GroupBy(r => r.Group).ToDictionary(
            g => g.Key, g => g.DistinctBy(r => r.MessageId).Select(r => Encoding.UTF8.GetString(r.Payload)).ToList());

        var written = await store.WriteBatchAsync(0, 0, records.Length, records, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Values.Sum(v => v.Count), written);
        Assert.True(written < records.Length, "some ids repeat within their room");
        Assert.Contains(expected.Values, v => v.Count >= 1_100);
        // Its last 2,000 read again (what retention kept of them) write nothing.
        Assert.Equal(0, await store.WriteBatchAsync(0, 0, records.Length, records[^2_000..], Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        foreach (var room in rooms)
        {
            var stored = new List<string>();
            long? cursor = null;
            do
            {
                var page = await store.ReadPageAsync("hub", room, PageDirection.After, cursor, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
                stored.AddRange(page.Messages.Select(Text));
                cursor = page.Next;
            }
            while (cursor is not null);

            // Each room holds what was written once, in offset order; one past 1,100 only its newest 1,000.
            var kept = expected[room].Count >= 1_100 ? 1_000 : expected[room].Count;
            Assert.Equal(expected[room].TakeLast(kept), stored);
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task PagesGoBackAndForthOldestFirstWithinAPage(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 25, Records("room", 0, 25), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 30, Records("other", 25, 5), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var latest = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(15, 10).Select(i => $"m{i}"), latest.Messages.Select(Text));
        var older = await store.ReadPageAsync("hub", "room", PageDirection.Before, latest.Next, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(5, 10).Select(i => $"m{i}"), older.Messages.Select(Text));
        var oldest = await store.ReadPageAsync("hub", "room", PageDirection.Before, older.Next, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"m{i}"), oldest.Messages.Select(Text));
        Assert.Null(oldest.Next);

        var forward = await store.ReadPageAsync("hub", "room", PageDirection.After, oldest.Messages[^1].Sequence, 7, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(5, 7).Select(i => $"m{i}"), forward.Messages.Select(Text));
        var rest = await store.ReadPageAsync("hub", "room", PageDirection.After, forward.Next, 50, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(12, 13).Select(i => $"m{i}"), rest.Messages.Select(Text));
        Assert.Null(rest.Next);
        Assert.Empty((await store.ReadPageAsync("hub", "nobody", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Messages);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task ARoomPastItsCountKeepsItsNewestAndNoLongerCoversWhatWasDeleted(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider, o => o.Hubs["hub"] = new HubHistoryOptions { MaxMessagesPerRoom = 5 });
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 12, Records("room", 0, 12), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var page = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(7, 5).Select(i => $"m{i}"), page.Messages.Select(Text));
        Assert.False((await store.ReadFromAsync("hub", "room", 0, 3, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
        var recent = await store.ReadFromAsync("hub", "room", 0, 9, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(recent.Covered);
        Assert.Equal([9L, 10, 11], recent.Messages.Select(m => m.Offset));
        Assert.Equal(12, recent.WrittenTo);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task MessagesPastTheirHubsAgeAreDeleted(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider, o => o.MaxAge = TimeSpan.FromMinutes(10));
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var now = 1_700_000_000_000L;
        var records = new[]
        {
            Record("room", 0, "old", at: now - (long)TimeSpan.FromMinutes(20).TotalMilliseconds),
            Record("room", 1, "new", at: now - 1),
        };
        await store.WriteBatchAsync(0, 0, 2, records, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(1, await store.TrimByAgeAsync(now, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var page = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["new"], page.Messages.Select(Text));
        Assert.False((await store.ReadFromAsync("hub", "room", 0, 0, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
        Assert.True((await store.ReadFromAsync("hub", "room", 0, 1, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task ARecoveryReadCoversOnlyWhatTheStoreReadAndNoMoreThanItsBound(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        // The history function started reading partition 0 at offset 100 (older records were gone from Kafka).
        await store.StartPartitionAsync(0, 100, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 110, Enumerable.Range(100, 10).Select(i => Record("room", i, $"m{i}")).ToArray(), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.False((await store.ReadFromAsync("hub", "room", 0, 50, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
        Assert.False((await store.ReadFromAsync("hub", "room", 1, 100, 100, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
        Assert.False((await store.ReadFromAsync("hub", "room", 0, 100, 5, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Covered);
        var read = await store.ReadFromAsync("hub", "room", 0, 104, 6, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(read.Covered);
        Assert.Equal(Enumerable.Range(104, 6).Select(i => $"m{i}"), read.Messages.Select(Text));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task ATopicStartedAfreshBeginsANewEpochWhoseReusedIdsAreWritten(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        Assert.Equal(0, (await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Epoch);
        await store.WriteBatchAsync(0, 0, 3, Records("room", 0, 3), Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        // The same topic again (the history function restarted): same epoch.
        Assert.Equal(0, (await store.StartPartitionAsync(0, 0, 3, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken)).Epoch);

        // The topic now ends below what the store holds: it was started afresh (an embedded Kafka restarted).
        var mark = await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(new PartitionMark(0, 1, 0, 0), mark);
        var again = Enumerable.Range(0, 2).Select(i => Record("room", i, $"after restart {i}", epoch: 1)).ToArray();
        Assert.Equal(2, await store.WriteBatchAsync(0, 1, 2, again, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var page = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["m0", "m1", "m2", "after restart 0", "after restart 1"], page.Messages.Select(Text));
        var recovery = await store.ReadFromAsync("hub", "room", 0, 0, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["after restart 0", "after restart 1"], recovery.Messages.Select(Text));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task OnlyTheSenderOrTheBackendEditsAndDeletesAndPagesShowTheChange(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 3, [Record("room", 0, "hello"), Record("room", 1, "typo"), Record("room", 2, "bob's", user: "bob")], Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(HistoryChangeOutcome.Forbidden, await store.EditAsync("hub", "room", "0-2", "alice", DataType.Text, "mine now"u8.ToArray(), 5, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(HistoryChangeOutcome.NotFound, await store.EditAsync("hub", "room", "9-9", "alice", DataType.Text, "x"u8.ToArray(), 5, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(HistoryChangeOutcome.Applied, await store.EditAsync("hub", "room", "0-1", "alice", DataType.Text, "fixed"u8.ToArray(), 5, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(HistoryChangeOutcome.Applied, await store.DeleteAsync("hub", "room", "0-0", "alice", 6, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(HistoryChangeOutcome.NotFound, await store.DeleteAsync("hub", "room", "0-0", "alice", 7, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(HistoryChangeOutcome.Applied, await store.EditAsync("hub", "room", "0-2", null, DataType.Text, "moderated"u8.ToArray(), 8, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var page = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["<deleted>", "fixed", "moderated"], page.Messages.Select(Text));
        Assert.Equal(6, page.Messages[0].DeletedAt);
        Assert.Equal(5, page.Messages[1].EditedAt);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task DeletingAUsersMessagesLeavesTombstonesInEveryRoomOfTheHub(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await store.WriteBatchAsync(0, 0, 4, [Record("a", 0, "1"), Record("b", 1, "2"), Record("a", 2, "3", user: "bob"), Record("b", 3, "4")], Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(3, await store.DeleteUserMessagesAsync("hub", "alice", 9, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(0, await store.DeleteUserMessagesAsync("hub", "alice", 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var a = await store.ReadPageAsync("hub", "a", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["<deleted>", "3"], a.Messages.Select(Text));
        var b = await store.ReadPageAsync("hub", "b", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.All(b.Messages, m => Assert.True(m.IsDeleted));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task MigrationsRunOnceWhenSeveralProcessesStartTogether(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        await using var other = new HistoryStore(store.Options);
        await Task.WhenAll(store.MigrateAsync(Token), other.MigrateAsync(Token), store.MigrateAsync(Token)).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(1, await other.SchemaVersionAsync(Token).WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(HistoryProvider.Sqlite)]
    [InlineData(HistoryProvider.Postgres)]
    public async Task StoredMessagesKeepWhoTheyWereNotFor(HistoryProvider provider)
    {
        await using var store = await CreateAsync(provider);
        await store.StartPartitionAsync(0, 0, 0, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var record = Record("room", 0, "{\"a\":1}") with { DataType = DataType.Json, Excluded = ["c1", "c2"], Filter = "userId ne 'x'" };
        await store.WriteBatchAsync(0, 0, 1, [record, Record("room", 1, "bin") with { DataType = DataType.Binary, FromUserId = null }], Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var page = await store.ReadPageAsync("hub", "room", PageDirection.Before, null, 10, Token).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var delivery = page.Messages[0].ToDelivery();
        Assert.Equal(["c1", "c2"], delivery.ExcludedConnectionIds!);
        Assert.Equal("userId ne 'x'", delivery.Filter);
        Assert.Equal(DataType.Json, delivery.DataType);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(delivery.Payload!));
        Assert.Null(page.Messages[1].FromUserId);
        Assert.Equal(DataType.Binary, page.Messages[1].DataType);
    }
}
