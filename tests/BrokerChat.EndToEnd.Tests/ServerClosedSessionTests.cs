using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Sessions;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// A connection the server closes through the REST API ends its reliable session for good, on every connector: the
/// client is told with 1008 (so the Web PubSub clients do not try to recover it), and a recovery attempt with the
/// session's reconnection token is accepted, then closed with 1008, wherever it lands.
/// </summary>
public sealed class ServerClosedSessionTests(TwoConnectorsFixture fixture) : IClassFixture<TwoConnectorsFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Theory(Timeout = 60_000)]
    [InlineData("connection")]
    [InlineData("user")]
    [InlineData("group")]
    [InlineData("all")]
    public async Task RestCloseEndsTheSessionSoItsRecoveryIsRefusedOnEveryConnector(string how)
    {
        var ct = TestContext.Current.CancellationToken;
        var hub = "endclose" + how;
        var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.NoContent, await CloseAsync(hub, how, client.ConnectionId, ct));

        var disconnected = await client.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct);
        Assert.Equal("bye", (string?)disconnected["message"]);
        Assert.Equal(1008, (int?)(await client.WaitForCloseAsync(ct)).Status);
        await AssertRecoveryRefusedAsync(client, fixture.Clients, hub, ct); // the connector that held it
        await AssertRecoveryRefusedAsync(client, fixture.Rest, hub, ct); // and another one
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(HttpMethod.Head, $"api/hubs/{hub}/connections/{client.ConnectionId}", ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task SessionClosedWhileItsClientIsAwayCannotBeResumedAnywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "endaway";
        var connections = fixture.Clients.Services.GetRequiredService<ConnectionIndex>();
        var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        Assert.True(connections.TryGet(client.ConnectionId, out var session));
        client.Abort();
        await Wait.UntilAsync(() => session.IsDetached, ct);

        Assert.Equal(HttpStatusCode.NoContent, await CloseAsync(hub, "connection", client.ConnectionId, ct));
        var ended = fixture.Rest.Services.GetRequiredService<EndedSessions>();
        await Wait.UntilAsync(() => ended.Contains(hub, client.ConnectionId), ct); // the connector holding it read the close

        await AssertRecoveryRefusedAsync(client, fixture.Clients, hub, ct);
        await AssertRecoveryRefusedAsync(client, fixture.Rest, hub, ct);
        await Wait.UntilAsync(() => !connections.TryGet(client.ConnectionId, out _), ct);
    }

    [Theory(Timeout = 240_000)]
    [InlineData(NodeScripts.NewestClient, "1.1.0", "connection")]
    [InlineData(NodeScripts.NewestClient, "1.1.0", "all")]
    [InlineData(NodeScripts.Client104, "1.0.4", "connection")]
    [InlineData(NodeScripts.Client104, "1.0.4", "group")]
    public async Task JavaScriptClientClosedByTheServerSdkConnectsAfreshInsteadOfRecoveringTheClosedConnection(string package, string version, string how)
    {
        var ct = TestContext.Current.CancellationToken;
        await JavaScriptClientTests.EnsureInstalledAsync(ct);
        var hub = "jsclose" + how + version.Replace(".", "", StringComparison.Ordinal);

        var (exitCode, output, errors) = await JavaScriptClientTests.RunAsync("node",
            ["web-pubsub-rest-close.mjs", fixture.Rest.BaseUri.ToString(), fixture.Clients.BaseUri.ToString(), hub, TwoConnectorsFixture.AccessKey, how, package],
            TimeSpan.FromSeconds(120), ct);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {errors}");
        var result = JsonNode.Parse(output)!.AsObject();
        JavaScriptClientTests.AssertLoaded(package, version, result);
        var connected = result["connected"]!.AsArray().Select(c => (string?)c).ToList();
        Assert.Equal(2, connected.Count);
        Assert.NotEqual(connected[0], connected[1]); // not resurrected: a new connection
        var disconnected = Assert.Single(result["disconnected"]!.AsArray());
        Assert.Equal(connected[0], (string?)disconnected!["connectionId"]);
        Assert.Equal("closed by the backend", (string?)disconnected["message"]);
        Assert.False((bool)result["existsAfterClose"]!);
        Assert.Equal(["to the new connection"], result["received"]!.AsArray().Select(m => (string?)m));
    }

    private static async Task AssertRecoveryRefusedAsync(WebPubSubTestClient client, BrokerChatHost connector, string hub, CancellationToken ct)
    {
        await using var refused = await client.ResumeAsync(connector.ClientUrl(hub, "rita"), ct);
        var disconnected = await refused.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct);
        Assert.Equal(ResumePlanner.EndedByServer, (string?)disconnected["message"]);
        Assert.Equal(1008, (int?)(await refused.WaitForCloseAsync(ct)).Status);
        Assert.DoesNotContain(refused.Frames, f => (string?)f["event"] == "connected");
    }

    private Task<HttpStatusCode> CloseAsync(string hub, string how, string connectionId, CancellationToken ct) => how switch
    {
        "connection" => CallAsync(HttpMethod.Delete, $"api/hubs/{hub}/connections/{connectionId}?reason=bye", ct),
        "user" => CallAsync(HttpMethod.Post, $"api/hubs/{hub}/users/rita/:closeConnections?reason=bye", ct),
        "group" => CallAsync(HttpMethod.Post, $"api/hubs/{hub}/groups/room/:closeConnections?reason=bye", ct),
        _ => CallAsync(HttpMethod.Post, $"api/hubs/{hub}/:closeConnections?reason=bye", ct),
    };

    private async Task<HttpStatusCode> CallAsync(HttpMethod method, string path, CancellationToken ct)
    {
        var url = new Uri(fixture.Rest.BaseUri, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "api-version=2024-12-01");
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(TwoConnectorsFixture.AccessKey, url.ToString()));
        using var response = await Http.SendAsync(request, ct);
        return response.StatusCode;
    }
}
