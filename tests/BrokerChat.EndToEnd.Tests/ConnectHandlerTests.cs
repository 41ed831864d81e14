using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>One connector whose hubs have the <see cref="ScriptedConnectHandler"/>'s decisions, with a 1 s connect timeout.</summary>
public sealed class ConnectHandlerFixture : IAsyncLifetime
{
    internal ScriptedConnectHandler Handler { get; } = new();

    public BrokerChatHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Host = await BrokerChatHost.StartAsync(
            new HostSettings { Connector = { ConnectTimeout = TimeSpan.FromSeconds(1) }, Functions = { InProcessWorkers = 0 } },
            services => services.AddSingleton<IConnectEventHandler>(Handler));

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// A hub's blocking <c>connect</c> handler deciding on upgrades over real sockets: refusals and failures answer the
/// upgrade before it happens, an acceptance shapes the connection, and hubs it does not handle admit by token alone.
/// </summary>
public sealed class ConnectHandlerTests(ConnectHandlerFixture fixture) : IClassFixture<ConnectHandlerFixture>
{
    private const int Timeout = 60_000;
    private const string Offered = WebPubSubSubprotocols.Json + ", " + WebPubSubSubprotocols.JsonReliable;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task AHubWhoseHandlerRefusesAnswersTheUpgradeWithTheHandlersStatusAndReason()
    {
        var ct = TestContext.Current.CancellationToken;

        await using var client = await RawWebSocket.ConnectAsync(Url(ScriptedConnectHandler.Refusing), ct);

        Assert.Equal(401, client.Status);
        Assert.Equal("Not on the list.", await client.ReadRefusalBodyAsync(ct));
        Assert.DoesNotContain(Host.Services.GetRequiredService<ConnectionIndex>().All, c => c.Hub == ScriptedConnectHandler.Refusing);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnUpgradeThroughTheHttpPipelineIsRefusedByTheHandlerToo()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = Url(ScriptedConnectHandler.Refusing);
        using var socket = await RawWebSocket.OpenAfterHttpRequestAsync(url, ct);

        await using var client = await RawWebSocket.UpgradeAsync(socket, url, ct);

        Assert.Equal(401, client.Status);
        Assert.Equal("Not on the list.", await client.ReadRefusalBodyAsync(ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerThatDoesNotAnswerFailsClosedWith504AfterTheConnectTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = TimeProvider.System.GetTimestamp();

        await using var client = await RawWebSocket.ConnectAsync(Url(ScriptedConnectHandler.Hanging), ct);

        Assert.Equal(504, client.Status);
        Assert.Equal("The connect handler did not answer in time.", await client.ReadRefusalBodyAsync(ct));
        Assert.True(TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromSeconds(0.9));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerThatThrowsFailsClosedWith500()
    {
        var ct = TestContext.Current.CancellationToken;

        await using var client = await RawWebSocket.ConnectAsync(Url(ScriptedConnectHandler.Throwing), ct);

        Assert.Equal(500, client.Status);
        Assert.Equal("The connect handler failed.", await client.ReadRefusalBodyAsync(ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerPickingASubprotocolTheClientDidNotOfferFailsClosedWith500()
    {
        var ct = TestContext.Current.CancellationToken;

        await using var client = await RawWebSocket.ConnectAsync(Url(ScriptedConnectHandler.BadProtocol), ct);

        Assert.Equal(500, client.Status);
        Assert.Contains("protobuf.webpubsub.azure.v1", await client.ReadRefusalBodyAsync(ct), StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnAcceptedConnectionHasTheHandlersUserIdGroupsRolesAndSubprotocol()
    {
        var ct = TestContext.Current.CancellationToken;
        var limiter = Host.Services.GetRequiredService<ConnectionLimiter>();
        // Other tests of this class may still hold slots (a detached session waits to be resumed): count from here.
        var (totalBefore, keysBefore) = (limiter.Total, limiter.TrackedKeys);

        await using (var client = await RawWebSocket.ConnectAsync(Url(ScriptedConnectHandler.Accepting, "token-user"), ct, subprotocol: Offered))
        {
            Assert.True(client.Status == 101, client.ResponseHead);
            Assert.Contains($"Sec-WebSocket-Protocol: {WebPubSubSubprotocols.JsonReliable}", client.ResponseHead, StringComparison.OrdinalIgnoreCase);
            var connected = (await client.ReadFrameAsync(ct))!.Text;
            Assert.Contains("\"userId\":\"handler-user\"", connected, StringComparison.Ordinal);
            Assert.Contains("\"reconnectionToken\"", connected, StringComparison.Ordinal);
            var members = Host.Services.GetRequiredService<ConnectionIndex>().GroupMembers(ScriptedConnectHandler.Accepting, "vip");
            Assert.Equal("handler-user", Assert.Single(members).UserId);

            // The token grants no role; the handler's lets it join "lobby", and nothing else.
            await client.SendTextAsync("""{"type":"joinGroup","group":"lobby","ackId":1}""", ct);
            await client.SendTextAsync("""{"type":"joinGroup","group":"other","ackId":2}""", ct);
            var acks = new[] { (await client.ReadUntilAsync(f => f.Text.Contains("\"ackId\":1", StringComparison.Ordinal), ct))!.Text, (await client.ReadUntilAsync(f => f.Text.Contains("\"ackId\":2", StringComparison.Ordinal), ct))!.Text };
            Assert.Contains("\"success\":true", acks[0], StringComparison.Ordinal);
            Assert.Contains("\"name\":\"Forbidden\"", acks[1], StringComparison.Ordinal);
            await client.SendCloseAsync(1000, ct);
            await client.ReadUntilAsync(f => f.Opcode == 8, ct);
        }

        // The slot taken for the token's user moved to the handler's, and is given back under it.
        await Wait.UntilAsync(() => limiter.Total <= totalBefore && limiter.TrackedKeys <= keysBefore, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task TheHandlerIsShownTheTokensClaimsAndTheRequestLessItsSecrets()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = new Uri(Url(ScriptedConnectHandler.Recorded, "rita") + "&room=blue");

        await using var client = await RawWebSocket.ConnectAsync(url, ct, subprotocol: Offered, extraHeaders: "Cookie: session=secret\r\nAuthorization: Bearer nope\r\nX-Client: tests\r\n");

        Assert.Equal(101, client.Status);
        var connect = fixture.Handler.Calls.Last(c => c.Hub == ScriptedConnectHandler.Recorded);
        Assert.Equal("rita", connect.UserId);
        Assert.Equal([WebPubSubSubprotocols.Json, WebPubSubSubprotocols.JsonReliable], connect.Subprotocols);
        Assert.Contains("\"connectionId\":\"" + connect.ConnectionId + "\"", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);
        Assert.Equal(["rita"], connect.Claims["sub"]);
        Assert.Equal(["blue"], connect.Query["room"]);
        Assert.False(connect.Query.ContainsKey(WebPubSubQueryParameters.AccessToken));
        Assert.Equal(["tests"], connect.Headers["X-Client"]);
        Assert.False(connect.Headers.ContainsKey("Cookie"));
        Assert.False(connect.Headers.ContainsKey("Authorization"));
    }

    [Fact(Timeout = Timeout)]
    public async Task AResumedSessionIsNotPutToTheHandlerAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(Url(ScriptedConnectHandler.Recorded, "sam"), new WebPubSubTestClientOptions { Reliable = true }, ct);
        await client.Connected.WaitAsync(ct);
        var asked = fixture.Handler.Calls.Count;
        client.Abort();

        await using var resumed = await client.ResumeAsync(Url(ScriptedConnectHandler.Recorded, "sam"), ct);
        var pong = await resumed.PingAsync(ct);

        Assert.Equal("pong", (string?)pong["type"]);
        Assert.Equal(client.ConnectionId, resumed.ConnectionId);
        Assert.Equal(asked, fixture.Handler.Calls.Count);
    }

    [Fact(Timeout = Timeout)]
    public async Task AHubTheHandlerDoesNotHandleAdmitsByTheTokenAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var asked = fixture.Handler.Calls.Count;

        await using var client = await RawWebSocket.ConnectAsync(Url("plain", "paul"), ct);

        Assert.Equal(101, client.Status);
        Assert.Contains("\"userId\":\"paul\"", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);
        Assert.Equal(asked, fixture.Handler.Calls.Count);
    }

    /// <summary>A client URL for <paramref name="hub"/> whose token grants no role.</summary>
    private Uri Url(string hub, string? userId = "u")
    {
        var token = Host.Services.GetRequiredService<AccessTokenService>().Mint(new Uri(Host.BaseUri, $"client/hubs/{hub}").ToString(), userId, [], [], TimeSpan.FromHours(1));
        return new Uri($"ws://{Host.BaseUri.Authority}{WebPubSubClientPaths.HubsPrefix}{hub}?{WebPubSubQueryParameters.AccessToken}={token}");
    }
}
