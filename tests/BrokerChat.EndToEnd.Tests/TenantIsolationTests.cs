using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>What a token lets a client (or a backend) do, and nothing more: its hub, its user, its roles, its lifetime.</summary>
[Collection(PipelineCollection.Name)]
public sealed class TenantIsolationTests(PipelineFixture fixture)
{
    private const int Timeout = 60_000;
    private const string Key = TwoConnectorsFixture.AccessKey;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task ClientTokenForOneHubIsRefusedOnAnother()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = Mint("huba", "alice", [], TimeSpan.FromMinutes(5));

        await using var own = await RawWebSocket.ConnectAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/huba?access_token={token}"), ct);
        await using var other = await RawWebSocket.ConnectAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/hubb?access_token={token}"), ct);
        await using var viaQuery = await RawWebSocket.ConnectAsync(new Uri($"ws://{Host.BaseUri.Authority}/client?hub=hubb&access_token={token}"), ct);

        Assert.Equal((101, 401, 401), (own.Status, other.Status, viaQuery.Status));
    }

    [Fact(Timeout = Timeout)]
    public async Task ExpiredClientTokenIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var expired = Mint("expiry", "alice", [], TimeSpan.FromMinutes(-10)); // past the 5 minutes of clock skew

        await using var socket = await RawWebSocket.ConnectAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/expiry?access_token={expired}"), ct);

        Assert.Equal(401, socket.Status);
    }

    [Fact(Timeout = Timeout)]
    public async Task ClientCannotClaimAnotherUserIdThanItsTokenNames()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = Mint("claims", "alice", [Permissions.JoinLeaveGroup, Permissions.SendToGroup], TimeSpan.FromMinutes(5));
        var url = new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/claims?access_token={token}&userId=mallory&sub=mallory");
        await using var alice = await WebPubSubTestClient.ConnectUrlAsync(url, cancellationToken: ct);
        await using var bob = await Host.ConnectAsync("claims", "bob", ct);
        Assert.True((await bob.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await alice.JoinGroupAsync("room", ct))!.Success);

        Assert.True((await alice.SendAsync(new() { ["type"] = "sendToGroup", ["group"] = "room", ["data"] = "hi", ["fromUserId"] = "mallory", ["ackId"] = 1 }, cancellationToken: ct))!.Success);
        var message = await bob.NextMessageAsync(ct);

        Assert.Equal("alice", (string?)(await alice.Connected)["userId"]);
        Assert.Equal("alice", (string?)message["fromUserId"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task PerGroupRolesLimitJoinAndSendToTheirGroupEvenForGroupsTheBackendAdded()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = Mint("roles", "carol", [Permissions.JoinLeaveGroup + ".open", Permissions.SendToGroup + ".open"], TimeSpan.FromMinutes(5));
        await using var carol = await WebPubSubTestClient.ConnectUrlAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/roles?access_token={token}"), cancellationToken: ct);
        await carol.Connected;

        Assert.True((await carol.JoinGroupAsync("open", ct))!.Success);
        Assert.Equal("Forbidden", (await carol.JoinGroupAsync("closed", ct))!.ErrorName);
        Assert.True((await carol.SendToGroupAsync("open", "hi", cancellationToken: ct))!.Success);
        Assert.Equal("Forbidden", (await carol.SendToGroupAsync("closed", "hi", cancellationToken: ct))!.ErrorName);

        // The backend puts her in "closed": she receives its messages, but may still neither send to it nor leave it.
        Assert.Equal(HttpStatusCode.OK, await RestAsync(HttpMethod.Put, $"api/hubs/roles/groups/closed/connections/{carol.ConnectionId}", ct));
        Assert.Equal(HttpStatusCode.Accepted, await RestAsync(HttpMethod.Post, "api/hubs/roles/groups/closed/:send", ct, "for closed"));
        var message = await carol.WaitForFrameAsync(f => (string?)f["data"] == "for closed", ct);
        Assert.Equal("closed", (string?)message["group"]);
        Assert.Equal("Forbidden", (await carol.SendToGroupAsync("closed", "hi", cancellationToken: ct))!.ErrorName);
        Assert.Equal("Forbidden", (await carol.LeaveGroupAsync("closed", ct))!.ErrorName);
    }

    private async Task<HttpStatusCode> RestAsync(HttpMethod method, string path, CancellationToken ct, string? text = null)
    {
        var url = new Uri(Host.BaseUri, path);
        using var request = new HttpRequestMessage(method, url) { Content = text is null ? null : new StringContent(text, Encoding.UTF8, "text/plain") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(Key, url.ToString()));
        using var http = new HttpClient();
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode;
    }

    private string Mint(string hub, string userId, string[] roles, TimeSpan lifetime) => Host.Services.GetRequiredService<AccessTokenService>().Mint(new Uri(Host.BaseUri, $"client/hubs/{hub}").ToString(), userId, roles, [], lifetime);
}
