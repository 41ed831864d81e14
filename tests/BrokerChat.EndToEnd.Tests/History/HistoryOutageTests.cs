using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Functions;
using BrokerChat.History;
using BrokerChat.Testing;
using Microsoft.Data.Sqlite;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>
/// A history database that cannot be written or read, end to end on SQLite: the chat goes on as if history were
/// off, the history function's lag shows the backlog, and once the database is back every message is stored once,
/// in order; pages meanwhile are refused with a clear error.
/// </summary>
public sealed class HistoryOutageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // Far more than an ack or a delivery takes on this machine, far less than the history function's retries run.
    private static readonly TimeSpan ChatBound = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 240_000)]
    public async Task WhileTheDatabaseIsLockedChatFlowsTheLagGrowsAndAfterwardsEveryMessageIsStoredOnceInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var chat = await Chat.StartAsync(ct);
        var (host, history, alice, bob) = (chat.Host, chat.History, chat.Alice, chat.Bob);
        using var metrics = new MetricsRecorder(host.Services, FunctionsMetrics.MeterName);
        await SendAsync(alice, bob, "before", ct);
        await WaitForStoredAsync(host, 1, ct);
        var lagBefore = metrics.ObserveSum("brokerchat.history.lag") ?? 0;

        await using (var blocker = new SqliteConnection(new SqliteConnectionStringBuilder(history.ConnectionString) { Pooling = false }.ToString()))
        {
            await blocker.OpenAsync(ct).WaitAsync(Timeout, ct);
            await ExecuteAsync(blocker, "BEGIN IMMEDIATE", ct);

            for (var i = 0; i < 30; i++)
            {
                await SendAsync(alice, bob, $"while locked {i}", ct);
            }

            await Wait.UntilAsync(() => metrics.ObserveSum("brokerchat.history.lag") >= lagBefore + 30, ct).WaitAsync(Timeout, ct);
            // Readers are not held by a writer (WAL): the store still answers, with what it held before.
            Assert.Equal(["before"], await StoredAsync(host, ct));
            await ExecuteAsync(blocker, "ROLLBACK", ct);
        }

        var stored = await WaitForStoredAsync(host, 31, ct);
        Assert.Equal(["before", .. Enumerable.Range(0, 30).Select(i => $"while locked {i}")], stored);
        await Wait.UntilAsync(() => metrics.ObserveSum("brokerchat.history.lag") == 0, ct).WaitAsync(Timeout, ct);
        // Nothing more arrives later: the retried batches wrote each message once.
        await SendAsync(alice, bob, "after", ct);
        Assert.Equal([.. stored, "after"], await WaitForStoredAsync(host, 32, ct));
    }

    [Fact(Timeout = 240_000)]
    public async Task AStoreThatCannotBeReadRefusesPagesWithAClearErrorAndTheChatGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var chat = await Chat.StartAsync(ct);
        var (host, history, alice, bob) = (chat.Host, chat.History, chat.Alice, chat.Bob);
        await SendAsync(alice, bob, "stored", ct);
        await WaitForStoredAsync(host, 1, ct);

        // The messages table goes missing (a damaged or foreign database): every read fails at once.
        await using (var admin = new SqliteConnection(new SqliteConnectionStringBuilder(history.ConnectionString) { Pooling = false }.ToString()))
        {
            await admin.OpenAsync(ct).WaitAsync(Timeout, ct);
            await ExecuteAsync(admin, "ALTER TABLE brokerchat_history_messages RENAME TO brokerchat_history_messages_away", ct);

            var ack = (await alice.SendAsync(new JsonObject
            {
                [WebPubSubFields.Type] = WebPubSubMessageTypes.ListMessages,
                [WebPubSubFields.Group] = "room",
            }, cancellationToken: ct).WaitAsync(Timeout, ct))!;
            Assert.False(ack.Success);
            Assert.Equal("InternalServerError", ack.ErrorName);
            Assert.Contains("cannot be read", ack.ErrorMessage, StringComparison.Ordinal);
            using (var refused = await HistoryHosts.SendAsync(host, HttpMethod.Get, "/api/hubs/chat/groups/room/messages", ct).WaitAsync(Timeout, ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Contains("cannot be read", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            }

            // The connection that was refused a page still chats.
            await SendAsync(alice, bob, "meanwhile", ct);
            await ExecuteAsync(admin, "ALTER TABLE brokerchat_history_messages_away RENAME TO brokerchat_history_messages", ct);
        }

        Assert.Equal(["stored", "meanwhile"], await WaitForStoredAsync(host, 2, ct));
    }

    /// <summary>A host with history on a new SQLite database (rate limits lifted), and alice and bob in its room.</summary>
    private sealed record Chat(BrokerChatHost Host, HistoryOptions History, WebPubSubTestClient Alice, WebPubSubTestClient Bob) : IAsyncDisposable
    {
        public static async Task<Chat> StartAsync(CancellationToken ct)
        {
            var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-history"), ct).WaitAsync(Timeout, ct);
            var host = await BrokerChatHost.StartAsync(HistoryHosts.Settings(history).WithoutRateLimits()).WaitAsync(TimeSpan.FromSeconds(90), ct);
            var alice = await host.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
            var bob = await host.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
            await alice.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
            await bob.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
            return new Chat(host, history, alice, bob);
        }

        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await Host.DisposeAsync();
        }
    }

    /// <summary>Sends <paramref name="text"/> from <paramref name="from"/> and checks that its ack and <paramref name="to"/>'s delivery come within <see cref="ChatBound"/>.</summary>
    private static async Task SendAsync(WebPubSubTestClient from, WebPubSubTestClient to, string text, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var ack = await from.SendToGroupAsync("room", text, cancellationToken: ct).WaitAsync(ChatBound, ct);
        Assert.True(ack!.Success, ack.ToString());
        var delivered = await to.NextMessageAsync(ct).WaitAsync(ChatBound, ct);
        Assert.Equal(text, (string?)delivered["data"]);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, ChatBound);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).WaitAsync(Timeout, ct);
    }

    /// <summary>The room's stored messages' data, oldest first, read over REST.</summary>
    private static async Task<List<string?>> StoredAsync(BrokerChatHost host, CancellationToken ct)
    {
        using var response = await HistoryHosts.SendAsync(host, HttpMethod.Get, "/api/hubs/chat/groups/room/messages?limit=100", ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        return page["value"]!.AsArray().Select(m => (string?)m!["data"]).ToList();
    }

    /// <summary>Waits until the store holds at least <paramref name="count"/> of the room's messages and returns them.</summary>
    private static async Task<List<string?>> WaitForStoredAsync(BrokerChatHost host, int count, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            var stored = await StoredAsync(host, ct);
            if (stored.Count >= count)
            {
                return stored;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"The store holds {count} messages within {Timeout} (it holds {stored.Count}).");
            await poll.WaitForNextTickAsync(ct).AsTask().WaitAsync(Timeout, ct);
        }
    }
}
