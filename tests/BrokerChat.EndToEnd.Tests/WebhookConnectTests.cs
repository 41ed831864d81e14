using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// One connector whose hubs' <c>connect</c> goes to unmodified <c>@azure/web-pubsub-express</c> upstreams: <c>webhook</c>
/// (behaviour set per test), <c>guarded</c> (its <c>allowedEndpoints</c> name another origin), <c>trusted</c> (they
/// name this connector's <c>EventHandlers:RequestOrigin</c>), <c>dead</c> and <c>deadmany</c> (a closed port), and
/// <c>plain</c>, which has no handler. The connect timeout is 1 s.
/// </summary>
public sealed class WebhookConnectFixture : IAsyncLifetime
{
    public const string Origin = "brokerchat-tests:8080";

    public BrokerChatHost Host { get; private set; } = null!;

    internal ExpressUpstream Webhook { get; private set; } = null!;

    internal ExpressUpstream Guarded { get; private set; } = null!;

    internal ExpressUpstream Trusted { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Webhook = await ExpressUpstream.StartAsync(JavaScriptClientTests.Scripts, new JsonObject { ["hub"] = "webhook" }, ct);
        Guarded = await ExpressUpstream.StartAsync(JavaScriptClientTests.Scripts, new JsonObject { ["hub"] = "guarded", ["allowedEndpoints"] = new JsonArray("http://somewhere-else.example") }, ct);
        Trusted = await ExpressUpstream.StartAsync(JavaScriptClientTests.Scripts, new JsonObject { ["hub"] = "trusted", ["allowedEndpoints"] = new JsonArray("http://" + Origin) }, ct);
        var settings = new HostSettings { Connector = { ConnectTimeout = TimeSpan.FromSeconds(1) }, EventHandlers = { RequestOrigin = Origin, BreakDuration = TimeSpan.FromMinutes(1) } };
        settings.EventHandlers.Add("webhook", Webhook.UrlTemplate, "*", "connect");
        settings.EventHandlers.Add("guarded", Guarded.UrlTemplate, null, "connect");
        settings.EventHandlers.Add("trusted", Trusted.UrlTemplate, null, "connect");
        var dead = $"http://127.0.0.1:{ClosedPort.Next()}/eventhandler/{{event}}";
        settings.EventHandlers.Add("dead", dead, null, "connect");
        settings.EventHandlers.Add("deadmany", dead, null, "connect");
        Host = await BrokerChatHost.StartAsync(settings);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Webhook.DisposeAsync();
        await Guarded.DisposeAsync();
        await Trusted.DisposeAsync();
    }
}

/// <summary>
/// A hub's <c>connect</c> event handler written for Azure Web PubSub with the npm <c>@azure/web-pubsub-express</c>,
/// deciding on real upgrades: the identity, groups, roles, subprotocol and state it answers, its refusals, its abuse
/// protection and the signature it checks, and how a slow or dead handler fails the upgrade closed in bounded time
/// while other hubs' clients connect as before.
/// </summary>
public sealed class WebhookConnectTests(WebhookConnectFixture fixture) : IClassFixture<WebhookConnectFixture>
{
    private const int Timeout = 90_000;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task TheConnectAnswerSetsTheUserIdInTheConnectedFrameAndJoinsGroupsThatThenReachTheClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["userId"] = "hook-user", ["groups"] = new JsonArray("hook-room") } }, ct);

        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl("webhook", "token-user"), cancellationToken: ct);
        var connected = await client.Connected.WaitAsync(ct);
        await client.SendToGroupAsync("hook-room", "to the room", cancellationToken: ct);
        var message = await client.NextMessageAsync(ct);

        Assert.Equal("hook-user", (string?)connected["userId"]);
        Assert.Equal("hook-room", (string?)message["group"]);
        Assert.Equal("to the room", (string?)message["data"]);
        var seen = await fixture.Webhook.NextAsync(e => (string?)e["event"] == "connect" && (string?)e["connectionId"] == client.ConnectionId, ct);
        Assert.Equal("token-user", (string?)seen["userId"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task TheRolesTheConnectAnswerGrantsAreEnforced()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["roles"] = new JsonArray(Permissions.JoinLeaveGroup + ".lobby") } }, ct);

        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl("webhook", "u", roles: []), cancellationToken: ct);
        var lobby = await client.JoinGroupAsync("lobby", ct);
        var other = await client.JoinGroupAsync("other", ct);

        Assert.True(lobby!.Success);
        Assert.Equal((false, "Forbidden"), (other!.Success, other.ErrorName));
    }

    [Fact(Timeout = Timeout)]
    public async Task TheSubprotocolTheConnectAnswerPicksAmongTheOfferedIsTheOneAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["subprotocol"] = WebPubSubSubprotocols.Json } }, ct);

        await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("webhook", "u"), ct, subprotocol: WebPubSubSubprotocols.JsonReliable + ", " + WebPubSubSubprotocols.Json);

        Assert.Equal(101, client.Status);
        Assert.Contains($"Sec-WebSocket-Protocol: {WebPubSubSubprotocols.Json}\r\n", client.ResponseHead, StringComparison.OrdinalIgnoreCase);
        var connectionId = (string?)JsonNode.Parse((await client.ReadFrameAsync(ct))!.Text)!["connectionId"];
        var seen = await fixture.Webhook.NextAsync(e => (string?)e["event"] == "connect" && (string?)e["connectionId"] == connectionId, ct);
        Assert.Equal([WebPubSubSubprotocols.JsonReliable, WebPubSubSubprotocols.Json], seen["body"]!["subprotocols"]!.AsArray().Select(s => (string?)s));
    }

    [Theory(Timeout = Timeout)]
    [InlineData(401)]
    [InlineData(403)]
    public async Task ARefusalIsTheUpgradesStatusWithTheHandlersTextAsItsBody(int status)
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["fail"] = status, ["reason"] = "Not you." } }, ct);

        await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("webhook", "u"), ct);

        Assert.Equal(status, client.Status);
        Assert.Equal("Not you.", await client.ReadRefusalBodyAsync(ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task TheStateTheConnectAnswerSetsIsOnTheConnectionsNextRecordsWithItsSubprotocol()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["state"] = new JsonObject { ["visits"] = 1 } } }, ct);
        using var inbound = InboundWatcher.FromNow(Host);

        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl("webhook", "u"), cancellationToken: ct);
        await client.Connected.WaitAsync(ct);
        await client.SendAsync(new JsonObject { ["type"] = "event", ["event"] = "typing", ["dataType"] = "text", ["data"] = "…" }, withAck: false, cancellationToken: ct);
        var connected = await inbound.NextAsync(f => f.ConnectionId == client.ConnectionId && f.Kind == InboundKind.Connected, ct);
        var typing = await inbound.NextAsync(f => f.ConnectionId == client.ConnectionId && f.Kind == InboundKind.Event, ct);

        // @azure/web-pubsub-express writes its states as base64 JSON.
        Assert.Equal("""{"visits":1}""", Encoding.UTF8.GetString(Convert.FromBase64String(connected.ConnectionState!)));
        Assert.Equal(connected.ConnectionState, typing.ConnectionState);
        Assert.Equal((client.Subprotocol, client.Subprotocol), (connected.Subprotocol, typing.Subprotocol));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHubWithoutEventHandlersGetsNoStateOrSubprotocolOnItsEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(Host);

        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl("plain", "u"), cancellationToken: ct);
        await client.Connected.WaitAsync(ct);
        await client.SendAsync(new JsonObject { ["type"] = "event", ["event"] = "typing", ["dataType"] = "text", ["data"] = "…" }, withAck: false, cancellationToken: ct);
        var typing = await inbound.NextAsync(f => f.ConnectionId == client.ConnectionId && f.Kind == InboundKind.Event, ct);

        Assert.Null(typing.ConnectionState);
        Assert.Null(typing.Subprotocol);
    }

    [Fact(Timeout = Timeout)]
    public async Task TheSignatureTheHandlerIsShownVerifiesWithTheAccessKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject() }, ct);

        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl("webhook", "u"), cancellationToken: ct);
        await client.Connected.WaitAsync(ct);
        var seen = await fixture.Webhook.NextAsync(e => (string?)e["event"] == "connect" && (string?)e["connectionId"] == client.ConnectionId, ct);

        Assert.True(WebPubSubSignature.IsValid((string?)seen["signature"], client.ConnectionId, [BrokerChatHost.AccessKey]));
        Assert.False(WebPubSubSignature.IsValid((string?)seen["signature"], client.ConnectionId, ["another-key-0123456789abcdef0123456789abcdef"]));
        Assert.Empty(seen["body"]!["clientCertificates"]!.AsArray());
        Assert.False(seen["body"]!["query"]!.AsObject().ContainsKey(WebPubSubQueryParameters.AccessToken));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerWhoseAbuseProtectionDoesNotAllowThisOriginIsNotAskedAndTheUpgradeIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;

        await using var refused = await RawWebSocket.ConnectAsync(Host.ClientUrl("guarded", "u"), ct);
        await using var accepted = await RawWebSocket.ConnectAsync(Host.ClientUrl("trusted", "u"), ct);

        Assert.Equal(502, refused.Status);
        Assert.Equal("The connect handler could not be reached.", await refused.ReadRefusalBodyAsync(ct));
        Assert.Equal(101, accepted.Status);
    }

    [Fact(Timeout = Timeout)]
    public async Task ASlowHandlerFailsTheUpgradeClosedWith504AfterTheConnectTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject { ["delayMs"] = 10_000 } }, ct);
        var started = Stopwatch.GetTimestamp();

        await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("webhook", "u"), ct);
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(504, client.Status);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        await fixture.Webhook.SetBehaviourAsync(new JsonObject { ["connect"] = new JsonObject() }, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerThatIsDownFailsTheUpgradeClosedAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.GetTimestamp();

        await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("dead", "u"), ct);

        Assert.Equal(502, client.Status);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1), $"took {Stopwatch.GetElapsedTime(started)}");
    }

    [Fact(Timeout = Timeout)]
    public async Task FiftyHandshakesAgainstADeadHandlerEndInBoundedTimeThenItsOpenCircuitRefusesAndOtherHubsStillConnect()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.GetTimestamp();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("deadmany", "u" + i), ct);
            return client.Status;
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await using var afterwards = await RawWebSocket.ConnectAsync(Host.ClientUrl("deadmany", "u"), ct);
        await using var bystander = await RawWebSocket.ConnectAsync(Host.ClientUrl("plain", "u"), ct);

        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"50 handshakes took {elapsed}");
        Assert.All(statuses, s => Assert.Contains(s, new[] { 502, 503 }));
        Assert.Equal(503, afterwards.Status);
        Assert.Equal(101, bystander.Status);
        TestContext.Current.SendDiagnosticMessage($"50 handshakes against a dead handler: {elapsed.TotalMilliseconds:0} ms, {statuses.Count(s => s == 502)} × 502, {statuses.Count(s => s == 503)} × 503");
    }
}
