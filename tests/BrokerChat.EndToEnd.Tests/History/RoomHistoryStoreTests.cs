using System.Net;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.History;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>
/// The durable room history end to end, on SQLite: written by the in-process history function, read back with
/// <c>listMessages</c>, the REST API and history on join, and still there after the whole local run (embedded Kafka
/// included) restarted.
/// </summary>
public sealed class RoomHistoryStoreTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 240_000)]
    public async Task RoomHistoryOutlivesARestartOfTheWholeLocalRunAndPagesBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-history"), ct);
        var settings = HistoryHosts.Settings(history);

        await using (var first = await BrokerChatHost.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(90), ct))
        {
            await using var alice = await first.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
            await alice.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
            for (var i = 0; i < 6; i++)
            {
                Assert.True((await alice.SendToGroupAsync("room", $"before restart {i}", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
            }

            await HistoryHosts.WaitForStoredAsync(first, 6, ct);
        }

        await using var second = await BrokerChatHost.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(90), ct);
        await using var bob = await second.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
        // The memory buffer of the new connector is empty: history on join comes from the store.
        var joined = await bob.JoinAndTakeHistoryAsync("room", history: 4, cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Equal(Enumerable.Range(2, 4).Select(i => $"before restart {i}"), joined.Select(m => (string?)m["data"]));
        Assert.All(joined, m => Assert.True((bool?)m["history"]));
        Assert.True((await bob.SendToGroupAsync("room", "after restart", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        await HistoryHosts.WaitForStoredAsync(second, 7, ct);

        // REST, newest page first, then older by nextLink; oldest first within each page.
        var latest = await HistoryHosts.GetAsync(second, "/api/hubs/chat/groups/room/messages?limit=3", ct);
        Assert.Equal(["before restart 4", "before restart 5", "after restart"], Texts(latest));
        Assert.Equal("bob", (string?)latest["value"]![2]!["fromUserId"]);
        Assert.Equal("json", (string?)latest["value"]![2]!["dataType"]);
        Assert.NotNull((string?)latest["value"]![2]!["messageId"]);
        Assert.True(DateTimeOffset.TryParse((string?)latest["value"]![2]!["timestamp"], out _));
        var older = await HistoryHosts.GetAsync(second, (string)latest["nextLink"]!, ct);
        Assert.Equal(["before restart 1", "before restart 2", "before restart 3"], Texts(older));
        var oldest = await HistoryHosts.GetAsync(second, (string)older["nextLink"]!, ct);
        Assert.Equal(["before restart 0"], Texts(oldest));
        Assert.Null(oldest["nextLink"]);

        // The client protocol's listMessages: the latest page, whose cursor points before its oldest, and forward from there.
        var page = await ListAsync(bob, new JsonObject { ["limit"] = 4 }, ct);
        Assert.Equal(["before restart 3", "before restart 4", "before restart 5", "after restart"], Texts(page, "messages"));
        var forward = await ListAsync(bob, new JsonObject { ["after"] = (string)page["next"]!, ["limit"] = 2 }, ct);
        Assert.Equal(["before restart 4", "before restart 5"], Texts(forward, "messages"));
    }

    [Fact(Timeout = 180_000)]
    public async Task PagesRefuseMalformedCursorsOversizedLimitsAndClientsOutsideTheGroup()
    {
        var ct = TestContext.Current.CancellationToken;
        var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-history"), ct);
        await using var host = await BrokerChatHost.StartAsync(HistoryHosts.Settings(history)).WaitAsync(TimeSpan.FromSeconds(90), ct);
        await using var member = await host.ConnectAsync("chat", "member", ct).WaitAsync(Timeout, ct);
        await member.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);

        Assert.Equal("BadRequest", AckErrorNamesOf(await AckAsync(member, new JsonObject { ["before"] = "12x" }, ct)));
        Assert.Equal("BadRequest", AckErrorNamesOf(await AckAsync(member, new JsonObject { ["limit"] = 101 }, ct)));
        Assert.Equal("BadRequest", AckErrorNamesOf(await AckAsync(member, new JsonObject { ["before"] = "1", ["after"] = "2" }, ct)));

        // A client without the group's join role that is not a member may not read it.
        var url = host.ClientUrl("chat", "outsider", roles: []);
        await using var outsider = await WebPubSubTestClient.ConnectUrlAsync(url, cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.Equal("Forbidden", AckErrorNamesOf(await AckAsync(outsider, new JsonObject(), ct)));

        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, "/api/hubs/chat/groups/room/messages?before=-1", ct));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, "/api/hubs/chat/groups/room/messages?limit=0", ct));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, "/api/hubs/chat/groups/room/messages?limit=1000", ct));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, "/api/hubs/chat/groups/room/messages", ct));
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUri, "/api/hubs/chat/groups/room/messages"));
        using var refused = await Http.SendAsync(anonymous, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static string? AckErrorNamesOf(AckFrame ack) => ack.Success ? null : ack.ErrorName;

    private static async Task<AckFrame> AckAsync(WebPubSubTestClient client, JsonObject request, CancellationToken ct)
    {
        request[WebPubSubFields.Type] = WebPubSubMessageTypes.ListMessages;
        request[WebPubSubFields.Group] = "room";
        return (await client.SendAsync(request, cancellationToken: ct).WaitAsync(Timeout, ct))!;
    }

    private static async Task<JsonObject> ListAsync(WebPubSubTestClient client, JsonObject request, CancellationToken ct)
    {
        var ack = await AckAsync(client, request, ct);
        Assert.True(ack.Success, ack.ToString());
        var id = ack.AckId;
        return await client.WaitForFrameAsync(f => (string?)f["event"] == WebPubSubSystemEvents.Messages && (ulong?)f["ackId"] == id, ct).WaitAsync(Timeout, ct);
    }

    private static List<string?> Texts(JsonNode page, string name = "value") =>
        page[name]!.AsArray().Select(m => (string?)m!["data"]).ToList();

    private static async Task<HttpStatusCode> StatusAsync(BrokerChatHost host, string pathAndQuery, CancellationToken ct)
    {
        using var response = await HistoryHosts.SendAsync(host, pathAndQuery, ct);
        return response.StatusCode;
    }
}
