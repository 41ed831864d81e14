using System.Net;
using System.Text.Json.Nodes;
using BrokerChat.Connector;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The REST API's permission calls (grant, revoke, check <c>joinLeaveGroup</c> and <c>sendToGroup</c>), called on one
/// connector for connections held by another (or by the same one), enforced together with the token's roles, and
/// moving with a reliable session to a third connector.
/// </summary>
public sealed class RestPermissionTests(TwoConnectorsFixture fixture) : IClassFixture<TwoConnectorsFixture>
{
    private const int Timeout = 60_000;

    [Fact(Timeout = Timeout)]
    public async Task AClientWithoutRolesJoinsAndSendsOnAnotherConnectorOnlyWhileItHasAGrant()
    {
        var ct = TestContext.Current.CancellationToken;
        Task<HttpStatusCode> Call(HttpMethod method, string path) => PermissionAsync("grants", method, path, ct);
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("grants", "nora", roles: []), cancellationToken: ct);
        await client.Connected;
        var id = client.ConnectionId;

        Assert.Equal(AckErrorNames.Forbidden, (await client.JoinGroupAsync("room", ct))!.ErrorName);
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"joinLeaveGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Put, $"joinLeaveGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"joinLeaveGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"joinLeaveGroup/connections/{id}?targetName=other"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"joinLeaveGroup/connections/{id}")); // not every group
        Assert.True((await client.JoinGroupAsync("room", ct))!.Success);
        Assert.Equal(AckErrorNames.Forbidden, (await client.JoinGroupAsync("other", ct))!.ErrorName);

        Assert.Equal(AckErrorNames.Forbidden, (await client.SendToGroupAsync("room", "before", cancellationToken: ct))!.ErrorName);
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Put, $"sendToGroup/connections/{id}")); // every group
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}"));
        // Acknowledged by the functions, which judge the roles the request carries: the grant travels with it.
        Assert.True((await client.SendToGroupAsync("room", "granted", cancellationToken: ct))!.Success);
        await client.WaitForFrameAsync(f => (string?)f["data"] == "granted", ct);

        Assert.Equal(HttpStatusCode.NoContent, await Call(HttpMethod.Delete, $"sendToGroup/connections/{id}?targetName=room"));
        Assert.Equal(AckErrorNames.Forbidden, (await client.SendToGroupAsync("room", "revoked", cancellationToken: ct))!.ErrorName);
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}?targetName=lobby"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}"));

        Assert.Equal(HttpStatusCode.NoContent, await Call(HttpMethod.Delete, $"joinLeaveGroup/connections/{id}"));
        Assert.Equal(AckErrorNames.Forbidden, (await client.LeaveGroupAsync("room", ct))!.ErrorName);
    }

    [Fact(Timeout = Timeout)]
    public async Task ARevocationTakesAwayWhatTheTokenGaveForThatGroupOnOneConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        Task<HttpStatusCode> Call(HttpMethod method, string path) => PermissionAsync("revokes", method, path, ct);
        // Connected to the connector the REST calls go to: it answers them itself.
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Rest.ClientUrl("revokes", "olga"), cancellationToken: ct);
        await client.Connected;
        var id = client.ConnectionId;
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}"));

        Assert.Equal(HttpStatusCode.NoContent, await Call(HttpMethod.Delete, $"sendToGroup/connections/{id}?targetName=muted"));

        Assert.True((await client.JoinGroupAsync("muted", ct))!.Success);
        Assert.Equal(AckErrorNames.Forbidden, (await client.SendToGroupAsync("muted", "hello", cancellationToken: ct))!.ErrorName);
        Assert.True((await client.SendToGroupAsync("other", "hello", cancellationToken: ct))!.Success);
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}?targetName=muted"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}"));
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}?targetName=other"));

        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Put, $"sendToGroup/connections/{id}?targetName=muted"));
        Assert.True((await client.SendToGroupAsync("muted", "again", cancellationToken: ct))!.Success);
    }

    [Fact(Timeout = Timeout)]
    public async Task PermissionCallsForAConnectionNowhereOrAnUnknownPermissionGetClearAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        Task<HttpStatusCode> Call(HttpMethod method, string path) => PermissionAsync("nowhere", method, path, ct);
        await using var bystander = await WebPubSubTestClient.ConnectUrlAsync(fixture.Clients.ClientUrl("nowhere", "bea"), cancellationToken: ct);
        await bystander.Connected;

        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Put, "sendToGroup/connections/no-such-connection?targetName=g"));
        Assert.Equal(HttpStatusCode.NoContent, await Call(HttpMethod.Delete, "sendToGroup/connections/no-such-connection"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, "joinLeaveGroup/connections/no-such-connection"));
        // A connection of another hub is not this hub's.
        Assert.Equal(HttpStatusCode.NotFound, await RestCalls.CallAsync(fixture.Rest.BaseUri, HttpMethod.Head, $"api/hubs/otherhub/permissions/sendToGroup/connections/{bystander.ConnectionId}", ct));
        Assert.Equal(HttpStatusCode.BadRequest, await Call(HttpMethod.Put, $"sendToGroups/connections/{bystander.ConnectionId}"));
        Assert.Equal(HttpStatusCode.BadRequest, await Call(HttpMethod.Head, $"webpubsub.sendToGroup/connections/{bystander.ConnectionId}"));
        Assert.Equal(HttpStatusCode.BadRequest, await Call(HttpMethod.Put, $"sendToGroup/connections/{bystander.ConnectionId}?targetName=%01"));
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"SENDTOGROUP/connections/{bystander.ConnectionId}")); // names ignore case
    }

    [Fact(Timeout = 120_000)]
    public async Task GrantsAndRevocationsMoveWithAReliableSessionToAnotherConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "permmove";
        Task<HttpStatusCode> Call(HttpMethod method, string path) => PermissionAsync(hub, method, path, ct);
        var other = await SecondConnector.StartAsync(fixture.Rest);
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rosa", [Permissions.SendToGroup]), new() { Reliable = true }, ct);
        await client.Connected;
        var id = client.ConnectionId;
        // The connector taking the calls asks only the connectors it knows alive: the new one once its beacon is read.
        var otherId = other.Services.GetRequiredService<ConnectorIdentity>().Id;
        var presence = fixture.Rest.Services.GetRequiredService<PresenceFeed>();
        var outbound = fixture.Rest.Services.GetRequiredService<OutboundState>();
        await Wait.UntilAsync(() =>
        {
            lock (outbound.Gate)
            {
                return presence.Table.LiveConnectors.Contains(otherId);
            }
        }, ct);
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Put, $"joinLeaveGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.NoContent, await Call(HttpMethod.Delete, $"sendToGroup/connections/{id}?targetName=muted"));
        // Sent after the changes' reconnection token, so once it is here the client holds a token that states them.
        Assert.Equal(HttpStatusCode.Accepted, await RestCalls.CallAsync(fixture.Rest.BaseUri, HttpMethod.Post, $"api/hubs/{hub}/connections/{id}/:send", ct, "marker"));
        await client.WaitForFrameAsync(f => (string?)f["data"] == "marker", ct);

        // Its connector dies and the session resumes from its token on another one.
        client.Abort();
        await other.DisposeAsync();
        await using var resumed = await client.ResumeAsync(fixture.Clients.ClientUrl(hub, "rosa"), ct);

        Assert.True((await resumed.JoinGroupAsync("room", ct))!.Success);
        Assert.Equal(AckErrorNames.Forbidden, (await resumed.JoinGroupAsync("lobby", ct))!.ErrorName);
        Assert.Equal(AckErrorNames.Forbidden, (await resumed.SendToGroupAsync("muted", "hello", cancellationToken: ct))!.ErrorName);
        Assert.True((await resumed.SendToGroupAsync("room", new JsonObject { ["n"] = 1 }, cancellationToken: ct))!.Success);
        Assert.Equal(HttpStatusCode.OK, await Call(HttpMethod.Head, $"joinLeaveGroup/connections/{id}?targetName=room"));
        Assert.Equal(HttpStatusCode.NotFound, await Call(HttpMethod.Head, $"sendToGroup/connections/{id}?targetName=muted"));
    }

    /// <summary>Calls <c>/api/hubs/{hub}/permissions/{path}</c> on the connector that takes the REST calls.</summary>
    private Task<HttpStatusCode> PermissionAsync(string hub, HttpMethod method, string path, CancellationToken ct) =>
        RestCalls.CallAsync(fixture.Rest.BaseUri, method, $"api/hubs/{hub}/permissions/{path}", ct);
}
