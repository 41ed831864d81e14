using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.Events;

namespace BrokerChat.Functions.Tests.Hubs;

/// <summary>The hubs' connect handlers served over Web PubSub's CloudEvents HTTP protocol, as a connector elsewhere calls them.</summary>
public sealed class EventHandlerEndpointTests(CustomHandlerFixture handler) : IClassFixture<CustomHandlerFixture>
{
    [Fact(Timeout = 30_000)]
    public async Task AConnectTheHubAcceptsIsAnsweredWithTheUserGroupsAndRoles()
    {
        using var response = await ConnectAsync("shop", "alice", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var result = ConnectEventJson.ReadResponse(200, body);
        Assert.Equal((true, "alice@shop"), (result.Accepted, result.UserId));
        Assert.Equal(["customers"], result.Groups);
    }

    [Fact(Timeout = 30_000)]
    public async Task AConnectTheHubRefusesIsAnsweredWithItsStatusAndReason()
    {
        using var response = await ConnectAsync("shop", "mallory", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("No entry.", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task AHubWithoutAConnectHandlerIsAnsweredWithNoContent()
    {
        using var response = await ConnectAsync("chat", "alice", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact(Timeout = 30_000)]
    public async Task ThePreflightAllowsTheOriginThatAsks()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(WebPubSubCloudEvents.Path, UriKind.Relative));
        request.Headers.Add(WebPubSubCloudEvents.RequestOrigin, "chat.example.com");
        using var response = await handler.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.example.com", response.Headers.GetValues(WebPubSubCloudEvents.AllowedOrigin).Single());
    }

    private async Task<HttpResponseMessage> ConnectAsync(string hub, string userId, CancellationToken ct)
    {
        var body = new JsonObject { ["claims"] = new JsonObject(), ["query"] = new JsonObject(), ["subprotocols"] = new JsonArray("json.webpubsub.azure.v1") };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(WebPubSubCloudEvents.Path, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebPubSubCloudEvents.SpecVersion, "1.0");
        request.Headers.Add(WebPubSubCloudEvents.Type, WebPubSubCloudEvents.ConnectType);
        request.Headers.Add(WebPubSubCloudEvents.Hub, hub);
        request.Headers.Add(WebPubSubCloudEvents.ConnectionId, "c-1");
        request.Headers.Add(WebPubSubCloudEvents.UserId, userId);
        request.Headers.Add(WebPubSubCloudEvents.EventName, WebPubSubCloudEvents.ConnectEventName);
        return await handler.Client.SendAsync(request, ct);
    }
}
