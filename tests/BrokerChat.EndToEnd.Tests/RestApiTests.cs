using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The REST API: called on one connector, carried out through Kafka on every connector, with the access key token
/// whose audience is the request URL.
/// </summary>
public sealed class RestApiTests(TwoConnectorsFixture fixture) : IClassFixture<TwoConnectorsFixture>
{
    private const int Timeout = 60_000;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact(Timeout = 240_000)]
    public async Task ServerSdkCallsToOneConnectorReachClientsOnAnother()
    {
        var ct = TestContext.Current.CancellationToken;
        await JavaScriptClientTests.EnsureInstalledAsync(ct);

        var (exitCode, output, errors) = await JavaScriptClientTests.RunAsync("node",
            ["web-pubsub-server.mjs", fixture.Rest.BaseUri.ToString(), fixture.Clients.BaseUri.ToString(), "restsdk", TwoConnectorsFixture.AccessKey],
            TimeSpan.FromSeconds(150), ct);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {errors}");
        var result = JsonNode.Parse(output)!.AsObject();
        var calls = result["calls"]!.AsObject();
        Assert.True((bool)calls["connectionExists"]!); // alice is in no group, on the other connector
        Assert.False((bool)calls["missingConnectionExists"]!);
        Assert.True((bool)calls["userExists"]!);
        Assert.False((bool)calls["missingUserExists"]!);
        Assert.False((bool)calls["groupExistsBefore"]!);
        Assert.Equal(404, (int)calls["addMissingConnection"]!);
        Assert.Equal(400, (int)calls["unsupportedFilter"]!);
        Assert.False((bool)calls["userExistsAfterClose"]!);

        // Permissions: carol's token gives her no role; the backend grants, checks and revokes them.
        Assert.False((bool)calls["hasJoinBeforeGrant"]!);
        Assert.Equal("Forbidden", (string?)calls["joinBeforeGrant"]);
        Assert.True((bool)calls["hasJoinAfterGrant"]!);
        Assert.False((bool)calls["hasJoinOtherAfterGrant"]!);
        Assert.True((bool)calls["hasSendAfterGrant"]!);
        Assert.Equal(("done", "done"), ((string?)calls["joinAfterGrant"], (string?)calls["sendAfterGrant"]));
        Assert.False((bool)calls["hasSendAfterRevoke"]!);
        Assert.True((bool)calls["hasSendElsewhereAfterRevoke"]!);
        Assert.Equal("Forbidden", (string?)calls["sendAfterRevoke"]);
        Assert.False((bool)calls["missingConnectionHasPermission"]!);
        Assert.Equal(404, (int)calls["grantToMissingConnection"]!);

        TestContext.Current.TestOutputHelper?.WriteLine("timings: " + result["timings"]!.ToJsonString());
        var alice = Texts(result["alice"]!);
        var bob = Texts(result["bob"]!);
        Assert.Equal(["to all", "group:{\"hello\":\"team\"}", "binary:1,2,3", "all but bob", "end"], alice);
        Assert.Equal(["to all", "group:{\"hello\":\"team\"}", "to bob", "only bob by filter", "group:team without alice", "end", "group:from carol"], bob);
    }

    [Fact(Timeout = Timeout)]
    public async Task FilteredGroupChangesAndClosesOfGroupsUsersAndAllReachConnectionsOnTheOtherConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("restclose", "u1"), cancellationToken: ct);
        await using var b = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("restclose", "u2"), cancellationToken: ct);
        await using var c = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("restclose", "u3"), cancellationToken: ct);
        await Task.WhenAll(a.Connected, b.Connected, c.Connected);

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Post, "api/hubs/restclose/:addToGroups", ct, """{"groups":["x"],"filter":"userId ne 'u3'"}""", "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync("api/hubs/restclose/groups/x/:send", "to x", ct));
        await a.WaitForFrameAsync(f => (string?)f["data"] == "to x", ct);
        await b.WaitForFrameAsync(f => (string?)f["data"] == "to x", ct);

        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(HttpMethod.Delete, "api/hubs/restclose/users/u2/groups", ct));
        // Leaving every group is keyed by user, not by group, so it is not ordered with the group's messages; once the
        // group's member list (fed by the leave the holding connector publishes on the group's partition) no longer
        // has b, a message to the group is ordered after the leave.
        var presence = fixture.Rest.Services.GetRequiredService<PresenceFeed>();
        var outbound = fixture.Rest.Services.GetRequiredService<OutboundState>();
        await Wait.UntilAsync(() =>
        {
            lock (outbound.Gate)
            {
                var members = presence.List("restclose", "x", out _);
                return members.Count == 1 && members[0].ConnectionId == a.ConnectionId;
            }
        }, ct);
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync("api/hubs/restclose/groups/x/:send", "x without u2", ct));
        await a.WaitForFrameAsync(f => (string?)f["data"] == "x without u2", ct);

        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(HttpMethod.Post, "api/hubs/restclose/groups/x/:closeConnections?reason=group%20closed", ct));
        Assert.Equal("group closed", (await a.WaitForCloseAsync(ct)).Description);
        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(HttpMethod.Post, "api/hubs/restclose/users/u2/:closeConnections", ct));
        await b.WaitForCloseAsync(ct);
        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(HttpMethod.Post, $"api/hubs/restclose/:closeConnections?excluded={c.ConnectionId}", ct));
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync($"api/hubs/restclose/connections/{c.ConnectionId}/:send", "still open", ct));

        // c was in no group and excluded from the close: the message to it is the only one it got.
        var only = await c.NextMessageAsync(ct);
        Assert.Equal("still open", (string?)only["data"]);
        Assert.False(c.TryTakeMessage(out _));
        Assert.DoesNotContain(b.Frames, f => (string?)f["data"] == "x without u2");
    }

    [Fact(Timeout = Timeout)]
    public async Task RestRequestsNeedAnUnexpiredTokenSignedWithAKeyForTheirOwnUrl()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = new Uri(fixture.Rest.BaseUri, "api/hubs/mine/:send?api-version=2024-12-01");
        var otherHub = new Uri(fixture.Rest.BaseUri, "api/hubs/other/:send?api-version=2024-12-01");
        // What the JS SDK signs: the full URL with its query; the host may differ (a proxy in front).
        var asSigned = $"http://proxy.example:8080/api/hubs/mine/:send?api-version=2024-12-01&excluded=x";

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(url, token: null, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(url, Token(TwoConnectorsFixture.AccessKey, otherHub.ToString()), ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(url, Token(TwoConnectorsFixture.AccessKey, url.ToString(), TimeSpan.FromMinutes(-10)), ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(url, Token("some-other-key-0123456789abcdef0123456789", url.ToString()), ct));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(url, Token(TwoConnectorsFixture.AccessKey, asSigned), ct));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(url, Token(TwoConnectorsFixture.AccessKey, url.ToString()), ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestsTheApiCannotCarryOutGetAClearError()
    {
        var ct = TestContext.Current.CancellationToken;
        async Task<(HttpStatusCode Status, string? Code, string Body)> Call(HttpMethod method, string path, HttpContent? content = null)
        {
            var url = new Uri(fixture.Rest.BaseUri, path);
            using var request = new HttpRequestMessage(method, url) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(TwoConnectorsFixture.AccessKey, url.ToString()));
            using var response = await Http.SendAsync(request, ct);
            return (response.StatusCode, response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.Single() : null, await response.Content.ReadAsStringAsync(ct));
        }

        var badFilter = await Call(HttpMethod.Post, "api/hubs/errors/:send?filter=" + Uri.EscapeDataString("length(userId) gt 1"), new StringContent("x"));
        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), (badFilter.Status, badFilter.Code));
        Assert.Contains("length", badFilter.Body, StringComparison.Ordinal);
        var badJson = await Call(HttpMethod.Post, "api/hubs/errors/:send", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.Status);
        var tooLarge = await Call(HttpMethod.Post, "api/hubs/errors/users/u/:send", new ByteArrayContent(new byte[1024 * 1024 + 1]));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "PayloadTooLarge"), (tooLarge.Status, tooLarge.Code));
        var badTtl = await Call(HttpMethod.Post, "api/hubs/errors/:send?messageTtlSeconds=301", new StringContent("x"));
        Assert.Equal(HttpStatusCode.BadRequest, badTtl.Status);
        var permission = await Call(HttpMethod.Put, "api/hubs/errors/permissions/sendToGroups/connections/c1");
        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), (permission.Status, permission.Code));
        Assert.Contains("joinLeaveGroup", permission.Body, StringComparison.Ordinal);
        var unknown = await Call(HttpMethod.Post, "api/hubs/errors/:frobnicate");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        var badHub = await Call(HttpMethod.Post, "api/hubs/1bad/:send", new StringContent("x"));
        Assert.Equal(HttpStatusCode.NotFound, badHub.Status);
    }

    [Fact(Timeout = Timeout)]
    public async Task AMessagesTimeToLiveTravelsWithItAndAMessageWithinItIsDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(fixture.Rest);
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("restttl", "tia"), cancellationToken: ct);
        await client.Connected;

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync("api/hubs/restttl/users/tia/:send?messageTtlSeconds=30", "within its time", ct));

        var frame = await inbound.NextAsync(f => f.Kind == InboundKind.SendToUser && f.UserId == "tia", ct);
        Assert.Equal(30, frame.MessageTtlSeconds);
        Assert.Equal("within its time", (string?)(await client.NextMessageAsync(ct))["data"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task MessageForAConnectionThroughAnotherHubNeverReachesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var victim = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("victimhub", "victim"), cancellationToken: ct);
        await victim.Connected;
        // A client of the attacker's hub in the group "@<victim id>": its group messages share the key (so the partition
        // and order) of messages addressed to the victim's connection id in that hub.
        await using var watcher = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("attackerhub", "watcher"), cancellationToken: ct);
        Assert.True((await watcher.JoinGroupAsync("@" + victim.ConnectionId, ct))!.Success);

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync($"api/hubs/attackerhub/connections/{victim.ConnectionId}/:send", "crossed hubs", ct));
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync($"api/hubs/attackerhub/groups/{Uri.EscapeDataString("@" + victim.ConnectionId)}/:send", "marker", ct));
        await watcher.WaitForFrameAsync(f => (string?)f["data"] == "marker", ct);
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync($"api/hubs/victimhub/connections/{victim.ConnectionId}/:send", "own hub", ct));

        var first = await victim.NextMessageAsync(ct);
        Assert.Equal("own hub", (string?)first["data"]);
        Assert.Equal("server", (string?)first["from"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task ReliableSessionKeepsServerMessagesNumberedAndResumesWithNothingLost()
    {
        var ct = TestContext.Current.CancellationToken;
        var connections = fixture.Clients.Services.GetRequiredService<ConnectionIndex>();
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("restreliable", "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync("api/hubs/restreliable/users/rita/:send", 1, ct));
        Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync("api/hubs/restreliable/groups/room/:send", 2, ct));
        Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync($"api/hubs/restreliable/connections/{client.ConnectionId}/:send", 3, ct));
        Assert.True(connections.TryGet(client.ConnectionId, out var session));
        await Wait.UntilAsync(() => session.SequenceState.LastSequenceId >= 3, ct);
        session.Abort();
        Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync("api/hubs/restreliable/:send", 4, ct));
        await Wait.UntilAsync(() => session.SequenceState.LastSequenceId >= 4, ct);

        await using var resumed = await client.ResumeAsync(fixture.Clients.ClientUrl("restreliable", "rita"), ct);
        var received = await resumed.ReadMessagesAsync(4, ct);

        Assert.Equal([1, 2, 3, 4], received.Select(m => m.N).Order());
        Assert.Equal([1UL, 2UL, 3UL, 4UL], received.Select(m => m.SequenceId).Order());
    }

    [Fact(Timeout = 120_000)]
    public async Task ServerMessageAmongGroupMessagesOfItsPartitionKeepsNumbersRightWhenTheSessionMovesConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "restmove";
        var partitions = fixture.Rest.Services.GetRequiredService<OutboundState>().PartitionCount;
        var userPartition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, "~rita"), partitions);
        // A group on the partition of the user's messages: no token would separate them in the stream by itself.
        var group = Enumerable.Range(0, 1000).Select(i => "g" + i).First(g => PartitionKeys.PartitionOf(PartitionKeys.Room(hub, g), partitions) == userPartition);
        var other = await SecondConnector.StartAsync(fixture.Rest);
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync(group, cancellationToken: ct);
        var seen = new List<SequencedMessage>();
        foreach (var (n, path) in new[] { (1, $"groups/{group}/:send"), (2, "users/rita/:send"), (3, $"groups/{group}/:send") })
        {
            Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync($"api/hubs/{hub}/{path}", n, ct));
            seen.AddRange(await client.ReadMessagesAsync(1, ct));
        }

        // Its connector dies; a message arrives while the client is away, and it resumes on another connector.
        client.Abort();
        await other.DisposeAsync();
        Assert.Equal(HttpStatusCode.Accepted, await PostJsonAsync($"api/hubs/{hub}/groups/{group}/:send", 4, ct));
        await using var resumed = await client.ResumeAsync(fixture.Rest.ClientUrl(hub, "rita"), ct);
        seen.AddRange(await resumed.ReadUntilAsync(m => m.N == 4, ct));

        // Every message keeps the number it was first given: the group message after the server message is not
        // renumbered onto the server message's number (which the client would drop as a duplicate).
        Assert.All(seen, m => Assert.Equal((ulong)m.N, m.SequenceId));
        Assert.Equal([1, 2, 3, 4], seen.Select(m => m.N).Distinct());
    }

    private static List<string> Texts(JsonNode messages) => messages.AsArray().Select(m => (string?)m!["dataType"] switch
    {
        "binary" => "binary:" + string.Join(',', m!["data"]!.AsArray().Select(b => (int)b!)),
        _ when (string?)m!["from"] == "group" => "group:" + (m["data"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : m["data"]!.ToJsonString()),
        _ => (string)m!["data"]!,
    }).ToList();

    private Task<HttpStatusCode> CallAsync(HttpMethod method, string path, CancellationToken ct, string? body = null, string mediaType = "text/plain") =>
        RestCalls.CallAsync(fixture.Rest.BaseUri, method, path, ct, body, mediaType);

    private Task<HttpStatusCode> PostAsync(string path, string text, CancellationToken ct) => CallAsync(HttpMethod.Post, path, ct, text);

    private Task<HttpStatusCode> PostJsonAsync(string path, int n, CancellationToken ct) =>
        CallAsync(HttpMethod.Post, path, ct, $$"""{"n":{{n}}}""", "application/json");

    private static async Task<HttpStatusCode> SendAsync(Uri url, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("hi", Encoding.UTF8, "text/plain") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>A REST token as the server SDKs make it: <c>aud</c> = the request URL, signed with the key.</summary>
    internal static string Token(string key, string audience, TimeSpan? lifetime = null) =>
        new AccessTokenService(Options.Create(new AuthOptions { AccessKeys = [key] }), TimeProvider.System)
            .Mint(audience, null, [], [], lifetime ?? TimeSpan.FromMinutes(5));
}
