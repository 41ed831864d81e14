using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Client;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// One BrokerChat whose hub <see cref="Hub"/> has the unmodified <c>@azure/web-pubsub-express</c> app as its event
/// handler for every user event and <c>connected</c>/<c>disconnected</c>, and whose hub <see cref="FlakyHub"/> has one
/// on a port where nothing listens until a test starts it. Records are tried 10 times, 50 ms apart at first.
/// </summary>
public sealed class UpstreamEventsFixture : IAsyncLifetime
{
    public const string Hub = "upstream";
    public const string FlakyHub = "flaky";

    public BrokerChatHost Host { get; private set; } = null!;

    internal UpstreamScript Upstream { get; private set; } = null!;

    /// <summary>Where <see cref="FlakyHub"/>'s event handler is to listen.</summary>
    public int FlakyPort { get; private set; }

    /// <summary>The behaviour of <see cref="Hub"/>'s handler, by event name.</summary>
    internal static JsonObject Behaviour(string hub) => new()
    {
        ["hub"] = hub,
        ["events"] = new JsonObject
        {
            ["echo"] = new JsonObject { ["reply"] = "echo" },
            ["message"] = new JsonObject { ["reply"] = "echo" },
            ["silent"] = new JsonObject { ["reply"] = "none" },
            ["refuse"] = new JsonObject { ["fail"] = 400, ["reason"] = "not today" },
            ["crash"] = new JsonObject { ["fail"] = 500 },
            ["broadcast"] = new JsonObject { ["reply"] = "none", ["sendToAll"] = true },
            ["remember"] = new JsonObject { ["reply"] = "none", ["state"] = new JsonObject { ["topic"] = "cats", ["count"] = 1 } },
        },
    };

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Upstream = await UpstreamScript.StartAsync(Behaviour(Hub), ct);
        FlakyPort = FreePort();
        var settings = new HostSettings().WithoutRateLimits();
        Handler(settings, Hub, Upstream.UrlTemplate);
        Handler(settings, FlakyHub, $"http://127.0.0.1:{FlakyPort}/eventhandler/{{event}}");
        settings[$"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.MaxAttempts)}"] = "10";
        settings[$"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.RetryDelay)}"] = "00:00:00.050";
        settings[$"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.MaxRetryDelay)}"] = "00:00:00.500";
        settings["EventHandlers:BreakDuration"] = "00:00:00.500";
        Host = await BrokerChatHost.StartAsync(settings);
        await Upstream.SetBehaviourAsync(new JsonObject { ["connectionString"] = ConnectionString(Host) }, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    /// <summary>The connection string an app's server is given for <paramref name="host"/>.</summary>
    internal static string ConnectionString(BrokerChatHost host) =>
        $"Endpoint=http://{host.BaseUri.Host};Port={host.BaseUri.Port};AccessKey={BrokerChatHost.AccessKey};Version=1.0;";

    private static void Handler(HostSettings settings, string hub, string urlTemplate)
    {
        settings[$"Hubs:{hub}:EventHandlers:0:UrlTemplate"] = urlTemplate;
        settings[$"Hubs:{hub}:EventHandlers:0:UserEventPattern"] = "*";
        settings[$"Hubs:{hub}:EventHandlers:0:SystemEvents:0"] = "connected";
        settings[$"Hubs:{hub}:EventHandlers:0:SystemEvents:1"] = "disconnected";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// Apps whose server side is a Web PubSub event handler, run against BrokerChat: the workers post the clients' events to
/// the unmodified <c>@azure/web-pubsub-express</c> app and its answers reach the clients, through the connector, Kafka
/// and the workers, with the .NET client, the npm client and a simple WebSocket client.
/// </summary>
public sealed class UpstreamEventsTests(UpstreamEventsFixture fixture) : IClassFixture<UpstreamEventsFixture>
{
    private const int Timeout = 120_000;
    private const string Hub = UpstreamEventsFixture.Hub;
    private BrokerChatHost Host => fixture.Host;
    private UpstreamScript Upstream => fixture.Upstream;

    [Theory(Timeout = Timeout)]
    [InlineData("text", "\"hello\"", "\"hello\"")]
    [InlineData("json", "{\"n\":[1,2]}", "{\"n\":[1,2]}")]
    [InlineData("binary", "\"AQID\"", "[1,2,3]")]
    public async Task AUserEventReachesTheHandlerWithItsDataAndTheReplyArrivesAsAServerMessage(string dataType, string data, string handlerSaw)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync(Hub, "ann", ct);

        var ack = await client.SendAsync(new JsonObject { ["type"] = "event", ["event"] = "echo", ["dataType"] = dataType, ["data"] = JsonNode.Parse(data) }, cancellationToken: ct);

        Assert.True(ack!.Success);
        var message = await client.NextMessageAsync(ct);
        Assert.Equal(("server", dataType), ((string?)message["from"], (string?)message["dataType"]));
        Assert.Equal(JsonNode.Parse(data)!.ToJsonString(), message["data"]!.ToJsonString());
        var seen = (await Upstream.WaitForAsync(e => (string?)e["connectionId"] == client.ConnectionId && (string?)e["event"] == "user", 1, ct)).Single();
        Assert.Equal(("echo", dataType, "ann"), ((string?)seen["eventName"], (string?)seen["dataType"], (string?)seen["userId"]));
        Assert.Equal(JsonNode.Parse(handlerSaw)!.ToJsonString(), seen["data"]!.ToJsonString());
        Assert.StartsWith("sha256=", (string?)seen["signature"], StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnAnswerWithoutABodySendsTheAckAloneAndARefusalIsTheAckErrorInvocationFailed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync(Hub, "ben", ct);

        var silent = await client.SendAsync(Event("silent", "x"), cancellationToken: ct);
        var refused = await client.SendAsync(Event("refuse", "y"), cancellationToken: ct);
        var echoed = await client.SendAsync(Event("echo", "after"), cancellationToken: ct);

        Assert.True(silent!.Success);
        Assert.Equal((false, AckErrorNames.InvocationFailed, "not today"), (refused!.Success, refused.ErrorName, refused.ErrorMessage));
        Assert.True(echoed!.Success);
        // The first message the client got is the echo: neither the silent event nor the refused one sent one.
        Assert.Equal("after", (string?)(await client.NextMessageAsync(ct))["data"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task TheStateAnEventsAnswerSetsArrivesWithTheConnectionsLaterEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync(Hub, "sam", ct);

        // The handler's ce-connectionState answer reaches the connector ahead of the ack, on the connection's partition.
        var remembered = await client.SendAsync(Event("remember", "x"), cancellationToken: ct);
        var echoed = await client.SendAsync(Event("echo", "y"), cancellationToken: ct);

        Assert.True(remembered!.Success);
        Assert.True(echoed!.Success);
        var seen = await Upstream.WaitForAsync(e => (string?)e["connectionId"] == client.ConnectionId && (string?)e["event"] == "user", 2, ct);
        Assert.Equal(["remember", "echo"], seen.Select(e => (string?)e["eventName"]));
        Assert.Equal("{}", seen[0]["states"]!.ToJsonString());
        Assert.Equal(("cats", 1), ((string?)seen[1]["states"]!["topic"], (int?)seen[1]["states"]!["count"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task TheDotNetClientsInvocationIsAnsweredWithTheHandlersReplyAndARefusalFailsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = new BrokerChatClient(Host.ClientUrl(Hub, "cat"));
        await client.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);

        var answer = await client.InvokeAsync("echo", Encoding.UTF8.GetBytes("ping"), WebPubSubDataType.Text, ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        var refusal = await Assert.ThrowsAsync<BrokerChatInvocationException>(() => client.InvokeAsync("refuse", Encoding.UTF8.GetBytes("no"), WebPubSubDataType.Text, ct).WaitAsync(TimeSpan.FromSeconds(20), ct));

        Assert.Equal((WebPubSubDataType.Text, "ping"), (answer.DataType, answer.GetText()));
        Assert.Equal(AckErrorNames.InvocationFailed, refusal.ErrorName);
        Assert.Equal("not today", refusal.Message);
    }

    [Fact(Timeout = 240_000)]
    public async Task TheNpmClientGetsServerMessagesInvokesAndSeesTheSendToAllOfTheSamplesChatHandler()
    {
        var ct = TestContext.Current.CancellationToken;
        await JavaScriptClientTests.Scripts.InstallAsync(ct);

        var run = await JavaScriptClientTests.Scripts.RunAsync("node", ["web-pubsub-upstream-client.mjs", Host.BaseUri.ToString(), Hub, NodeScripts.NewestClient], TimeSpan.FromSeconds(90), ct);

        Assert.True(run.ExitCode == 0, $"node exited with {run.ExitCode}: {run.Errors}");
        var result = JsonNode.Parse(run.Output)!.AsObject();
        Assert.Equal("1.1.0", (string?)result["version"]);
        Assert.Equal("""{"dataType":"text","data":"hello upstream"}""", result["echoed"]!.ToJsonString());
        Assert.Equal("""{"dataType":"json","data":{"question":42}}""", result["invoked"]!.ToJsonString());
        Assert.Equal("""{"name":"InvocationFailed","message":"not today"}""", result["refused"]!.ToJsonString());
        // The handler's sendToAll (the server SDK, with the connection string) reached both clients.
        var expected = """[{"from":"alice","message":{"text":"hi all"}}]""";
        Assert.Equal(expected, result["broadcast"]!["alice"]!.ToJsonString());
        Assert.Equal(expected, result["broadcast"]!["bob"]!.ToJsonString());
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectedAndDisconnectedReachTheHandlerAroundTheConnectionsEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = await Host.ConnectAsync(Hub, "dan", ct);
        var connectionId = client.ConnectionId;
        Assert.True((await client.SendAsync(Event("silent", "between"), cancellationToken: ct))!.Success);

        await client.CloseAsync();
        await client.DisposeAsync();

        var events = await Upstream.EventsOfAsync(connectionId, 3, ct);
        Assert.Equal(["connected", "user", "disconnected"], events.Select(e => (string?)e["event"]));
        Assert.All(events, e => Assert.Equal("dan", (string?)e["userId"]));
        Assert.Equal(3, events.Select(e => (string?)e["id"]).Distinct().Count());
    }

    [Fact(Timeout = Timeout)]
    public async Task ASimpleWebSocketClientsFrameIsTheMessageEventAndTheReplyComesBackAsARawFrame()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var socket = await RawWebSocket.ConnectAsync(Host.ClientUrl(Hub, "eve"), ct, subprotocol: null);
        Assert.Equal(101, socket.Status);

        await socket.SendTextAsync("hello, raw", ct);

        var frame = await socket.ReadUntilAsync(f => f.Opcode == 1, ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.Equal("hello, raw", frame!.Text);
        var seen = (await Upstream.WaitForAsync(e => (string?)e["eventName"] == "message" && (string?)e["userId"] == "eve", 1, ct)).Single();

        Assert.Equal(("text", "hello, raw"), ((string?)seen["dataType"], (string?)seen["data"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerAnswering500IsTriedAgainWithTheSameCeIdThenTheClientGetsAnErrorAckWhileOthersAreAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var failing = await Host.ConnectAsync(Hub, "fay", ct);
        await using var other = await Host.ConnectAsync(Hub, "gus", ct);

        var crash = await failing.SendWithoutWaitingAsync(Event("crash", "boom"), ct);
        await Upstream.WaitForAsync(e => (string?)e["connectionId"] == failing.ConnectionId && (string?)e["eventName"] == "crash", 1, ct);
        var answered = await other.SendAsync(Event("echo", "still here"), cancellationToken: ct);
        var reply = await other.NextMessageAsync(ct);
        Assert.False(crash.IsCompleted, "the failing event was given up on before the other client was answered");
        var error = await crash.WaitAsync(TimeSpan.FromSeconds(60), ct);

        Assert.True(answered!.Success);
        Assert.Equal("still here", (string?)reply["data"]);
        Assert.Equal((false, AckErrorNames.InternalServerError), (error.Success, error.ErrorName));
        var tries = await Upstream.WaitForAsync(e => (string?)e["connectionId"] == failing.ConnectionId && (string?)e["eventName"] == "crash", 10, ct);
        Assert.Single(tries.Select(t => (string?)t["id"]).Distinct());
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectedAndDisconnectedOfAHandlerThatIsDownAreDeliveredOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        using var metrics = new MetricsRecorder(Host.Services, FunctionsMetrics.MeterName);
        var client = await Host.ConnectAsync(UpstreamEventsFixture.FlakyHub, "hal", ct);
        var connectionId = client.ConnectionId;
        await client.CloseAsync();
        await client.DisposeAsync();
        await Wait.UntilAsync(() => metrics.Sum("brokerchat.functions.event_handler.calls", "outcome", "unavailable") >= 2, ct);

        var behaviour = UpstreamEventsFixture.Behaviour(UpstreamEventsFixture.FlakyHub);
        behaviour["port"] = fixture.FlakyPort;
        await using var back = await UpstreamScript.StartAsync(behaviour, ct);

        var events = await back.EventsOfAsync(connectionId, 2, ct);
        Assert.Equal(["connected", "disconnected"], events.Select(e => (string?)e["event"]));
        Assert.Equal(0, metrics.Sum("brokerchat.functions.dead_letters", "reason", "failed"));
    }

    private static JsonObject Event(string name, string text) =>
        new() { ["type"] = "event", ["event"] = name, ["dataType"] = "text", ["data"] = text };
}
