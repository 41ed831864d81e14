using System.Text;
using BrokerChat.Client;
using BrokerChat.History;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>The .NET client's <c>listMessages</c> against a host with history on SQLite, in both reliable subprotocols.</summary>
public sealed class ClientListMessagesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory(Timeout = 180_000)]
    [InlineData(BrokerChatProtocol.JsonReliable)]
    [InlineData(BrokerChatProtocol.MessagePackReliable)]
    public async Task TheClientPagesBackAndForthThroughTextJsonAndBinaryMessagesWithEditsAndTombstones(BrokerChatProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartHostAsync(ct);
        await using var client = await ConnectAsync(host, "alice", protocol, ct);
        await client.JoinGroupAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
        var sent = Enumerable.Range(0, 7).Select(Message).ToArray();
        foreach (var (type, data) in sent)
        {
            await client.SendToGroupAsync("room", data, type, cancellationToken: ct).WaitAsync(Timeout, ct);
        }

        var latest = await WaitForStoredAsync(client, sent.Length, ct);
        Assert.Equal([4, 5, 6], latest.Messages.Select(Number));
        var older = await client.ListMessagesAsync("room", limit: 3, before: latest.Next, cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Equal([1, 2, 3], older.Messages.Select(Number));
        var oldest = await client.ListMessagesAsync("room", limit: 3, before: older.Next, cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Equal([0], oldest.Messages.Select(Number));
        Assert.Null(oldest.Next);

        var all = oldest.Messages.Concat(older.Messages).Concat(latest.Messages).ToList();
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i].Type, all[i].DataType);
            Assert.Equal(sent[i].Data, all[i].Data.ToArray());
            Assert.Equal("alice", all[i].FromUserId);
            Assert.Null(all[i].EditedAt);
            Assert.False(all[i].IsDeleted);
            Assert.InRange(all[i].Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        }

        Assert.Equal(all.Select(m => m.Timestamp).Order(), all.Select(m => m.Timestamp));
        Assert.Equal(sent.Length, all.Select(m => m.MessageId).Distinct().Count());

        // The backend edits message 2 and deletes message 3; forward from message 1 shows both.
        using (var edit = await HistoryHosts.SendAsync(host, HttpMethod.Put, $"/api/hubs/chat/groups/room/messages/{all[2].MessageId}", ct,
                   new StringContent("edited", Encoding.UTF8, "text/plain")).WaitAsync(Timeout, ct))
        {
            Assert.True(edit.IsSuccessStatusCode, edit.StatusCode.ToString());
        }

        using (var delete = await HistoryHosts.SendAsync(host, HttpMethod.Delete, $"/api/hubs/chat/groups/room/messages/{all[3].MessageId}", ct).WaitAsync(Timeout, ct))
        {
            Assert.True(delete.IsSuccessStatusCode, delete.StatusCode.ToString());
        }

        // Changes go through Kafka to the history function, so the page shows them once it has written them.
        var forward = await WaitForPageAsync(client, older.Next, p => p.Messages[0].EditedAt is not null && p.Messages[1].IsDeleted, ct);
        Assert.Equal(all.Skip(2).Take(4).Select(m => m.MessageId), forward.Messages.Select(m => m.MessageId));
        Assert.Equal((WebPubSubDataType.Text, "edited"), (forward.Messages[0].DataType, forward.Messages[0].GetText()));
        Assert.NotNull(forward.Messages[0].EditedAt);
        Assert.True(forward.Messages[1].IsDeleted);
        Assert.Null(forward.Messages[1].DataType);
        Assert.True(forward.Messages[1].Data.IsEmpty);
        var rest = await client.ListMessagesAsync("room", after: forward.Next, cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Equal([6], rest.Messages.Select(Number));
        Assert.Null(rest.Next);
    }

    [Theory(Timeout = 180_000)]
    [InlineData(BrokerChatProtocol.JsonReliable)]
    [InlineData(BrokerChatProtocol.MessagePackReliable)]
    public async Task ARefusedPageFailsWithTheServersErrorAndTheClientGoesOn(BrokerChatProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartHostAsync(ct);
        await using var member = await ConnectAsync(host, "member", protocol, ct);
        await member.JoinGroupAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
        // Without the group's join role and not a member.
        await using var outsider = await ConnectAsync(host, "outsider", protocol, ct, roles: []);

        var malformed = await Assert.ThrowsAsync<SendMessageFailedException>(() => member.ListMessagesAsync("room", before: "12x", cancellationToken: ct).WaitAsync(Timeout, ct));
        Assert.Equal("BadRequest", malformed.ErrorName);
        var oversized = await Assert.ThrowsAsync<SendMessageFailedException>(() => member.ListMessagesAsync("room", limit: 101, cancellationToken: ct).WaitAsync(Timeout, ct));
        Assert.Equal("BadRequest", oversized.ErrorName);
        var forbidden = await Assert.ThrowsAsync<SendMessageFailedException>(() => outsider.ListMessagesAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct));
        Assert.Equal("Forbidden", forbidden.ErrorName);
        await Assert.ThrowsAsync<ArgumentException>(() => member.ListMessagesAsync("room", before: "1", after: "2", cancellationToken: ct));

        // The same connection still pages.
        var page = await member.ListMessagesAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Empty(page.Messages);
        Assert.Null(page.Next);
        Assert.Equal(BrokerChatClientState.Connected, member.State);
    }

    private static async Task<BrokerChatHost> StartHostAsync(CancellationToken ct)
    {
        var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-history"), ct).WaitAsync(Timeout, ct);
        return await BrokerChatHost.StartAsync(HistoryHosts.Settings(history)).WaitAsync(TimeSpan.FromSeconds(90), ct);
    }

    private static async Task<BrokerChatClient> ConnectAsync(BrokerChatHost host, string user, BrokerChatProtocol protocol, CancellationToken ct, IEnumerable<string>? roles = null)
    {
        var client = new BrokerChatClient(host.ClientUrl("chat", user, roles), new BrokerChatClientOptions { Protocol = protocol });
        await client.StartAsync(ct).WaitAsync(Timeout, ct);
        return client;
    }

    /// <summary>Message <paramref name="n"/>: text, JSON and binary in turn, each carrying its number.</summary>
    private static (WebPubSubDataType Type, byte[] Data) Message(int n) => (n % 3) switch
    {
        0 => (WebPubSubDataType.Text, Encoding.UTF8.GetBytes($"text {n}")),
        1 => (WebPubSubDataType.Json, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}")),
        _ => (WebPubSubDataType.Binary, [0xFF, 0x00, (byte)n]),
    };

    private static int Number(BrokerChatStoredMessage message) => message.DataType switch
    {
        WebPubSubDataType.Text => int.Parse(message.GetText()["text ".Length..], System.Globalization.CultureInfo.InvariantCulture),
        WebPubSubDataType.Json => System.Text.Json.JsonDocument.Parse(message.Data).RootElement.GetProperty("n").GetInt32(),
        _ => message.Data.Span[2],
    };

    /// <summary>Pages four messages after <paramref name="after"/> until <paramref name="done"/> holds (the history function writes in batches).</summary>
    private static async Task<BrokerChatMessagePage> WaitForPageAsync(BrokerChatClient client, string? after, Func<BrokerChatMessagePage, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            var page = await client.ListMessagesAsync("room", limit: 4, after: after, cancellationToken: ct).WaitAsync(Timeout, ct);
            if (done(page))
            {
                return page;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The store shows the change within {Timeout}.");
            await poll.WaitForNextTickAsync(ct).AsTask().WaitAsync(Timeout, ct);
        }
    }

    /// <summary>Pages the room's latest three until the store holds <paramref name="count"/> messages (the history function writes in batches).</summary>
    private static async Task<BrokerChatMessagePage> WaitForStoredAsync(BrokerChatClient client, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            var all = await client.ListMessagesAsync("room", limit: count, cancellationToken: ct).WaitAsync(Timeout, ct);
            if (all.Messages.Count >= count)
            {
                return await client.ListMessagesAsync("room", limit: 3, cancellationToken: ct).WaitAsync(Timeout, ct);
            }

            Assert.True(DateTime.UtcNow < deadline, $"The store holds {count} messages within {Timeout}.");
            await poll.WaitForNextTickAsync(ct).AsTask().WaitAsync(Timeout, ct);
        }
    }
}
