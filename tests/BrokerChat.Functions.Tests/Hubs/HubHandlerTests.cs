using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Hubs.Testing;
using BrokerChat.Functions.Invocations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests.Hubs;

public sealed class HubHandlerTests
{
    private readonly Calls _calls = new();

    private HubTestHost Host(Action<IServiceCollection>? more = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        HubTestHost.Create<ShopHub>(services =>
        {
            services.AddSingleton(_calls);
            services.AddScoped<PerInvocation>();
            more?.Invoke(services);
        }, settings);

    [Fact(Timeout = 10_000)]
    public async Task ConnectCanRenameTheUserAddGroupsAndRoles()
    {
        await using var host = Host();
        var result = await host.ConnectAsync("alice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Accepted);
        Assert.Equal("alice@shop", result.UserId);
        Assert.Equal(["customers"], result.Groups);
        Assert.Equal(["webpubsub.sendToGroup.customers"], result.Roles);
    }

    [Fact(Timeout = 10_000)]
    public async Task ConnectRefusesWithTheStatusAndReasonTheHubGives()
    {
        await using var host = Host();
        var forbidden = await host.ConnectAsync("mallory", cancellationToken: TestContext.Current.CancellationToken);
        var unauthorized = await host.ConnectAsync("bob", query: new Dictionary<string, string[]> { ["ticket"] = ["bad"] }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((false, 403, "No entry."), (forbidden.Accepted, forbidden.Status, forbidden.Reason));
        Assert.Equal((false, 401, "The ticket is not valid."), (unauthorized.Accepted, unauthorized.Status, unauthorized.Reason));
    }

    [Fact(Timeout = 10_000)]
    public async Task ConnectedActionsBecomeAGroupJoinAndAGroupMessage()
    {
        await using var host = Host();
        var result = await host.ConnectedAsync("alice", groups: ["customers"], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["connected:customers"], _calls.Log);
        Assert.Collection(result.Actions,
            join => Assert.Equal((HubActionKind.AddConnectionToGroup, HubTestHost.DefaultConnectionId, "lobby"), (join.Kind, join.ConnectionId, join.Group)),
            send => Assert.Equal((HubActionKind.SendToGroup, "lobby", "alice arrived"), (send.Kind, send.Group, send.Data?.ToString())));
        Assert.Collection(result.Deliveries,
            join => Assert.Equal((DeliveryTarget.Connection, DeliveryCommand.AddToGroup, "lobby", false), (join.Target, join.Command, join.Group, join.HasMessage)),
            send => Assert.Equal((DeliveryTarget.Group, "lobby", DataType.Text, true), (send.Target, send.Group, send.DataType, send.HasMessage)));
    }

    [Fact(Timeout = 10_000)]
    public async Task DisconnectedTellsTheHandlerWhy()
    {
        await using var host = Host();
        var result = await host.DisconnectedAsync("alice", reason: "abort", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["disconnected:abort"], _calls.Log);
        Assert.Empty(result.Deliveries);
    }

    [Fact(Timeout = 10_000)]
    public async Task AUserEventGetsItsTypedPayloadAndItsActionsFollowTheAck()
    {
        await using var host = Host();
        var result = await host.SendEventAsync("order", MessageData.Json("""{"item":"tea","quantity":2}"""), "alice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Acknowledged);
        Assert.StartsWith("order:teax2:", Assert.Single(_calls.Log), StringComparison.Ordinal);
        Assert.Collection(result.Actions,
            staff => Assert.Equal((HubActionKind.SendToUser, "staff", """{"item":"tea","quantity":2}"""), (staff.Kind, staff.UserId, staff.Data?.ToString())),
            reply => Assert.Equal((HubActionKind.SendToConnection, HubTestHost.DefaultConnectionId, "thanks"), (reply.Kind, reply.ConnectionId, reply.Data?.ToString())));
        Assert.Equal(["0-0", "0-0-1", "0-0-2"], result.Deliveries.Select(d => d.MessageId));
    }

    [Fact(Timeout = 10_000)]
    public async Task APayloadThatIsNotTheParametersShapeIsABadRequestAndNothingIsSent()
    {
        await using var host = Host();
        var result = await host.SendEventAsync("order", MessageData.Text("tea please"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(AckErrorNames.BadRequest, result.Error?.Name);
        Assert.Empty(result.Actions);
        Assert.Single(result.Deliveries);
    }

    [Fact(Timeout = 10_000)]
    public async Task ValidationRunsBeforeTheHandlerSoAnInvalidEventNeverReachesIt()
    {
        await using var host = Host();
        var result = await host.SendEventAsync("Order!", MessageData.Json("{}"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(AckErrorNames.BadRequest, result.Error?.Name);
        Assert.Equal(0, _calls.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task ModerationRunsBeforeThePublishHook()
    {
        await using var host = Host(settings: new Dictionary<string, string?> { ["Functions:Moderation:BlockedWords:0"] = "forbidden" });
        var result = await host.SendToGroupAsync("customers", MessageData.Text("a forbidden word"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(result.Acknowledged);
        Assert.Null(result.Published);
        Assert.Equal(0, _calls.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task ThePublishHookAcceptsRewritesOrRejectsAGroupMessage()
    {
        await using var host = Host();
        var ct = TestContext.Current.CancellationToken;
        var plain = await host.SendToGroupAsync("customers", MessageData.Text("hello"), cancellationToken: ct);
        var rewritten = await host.SendToGroupAsync("customers", MessageData.Text("darn it"), cancellationToken: ct);
        var rejected = await host.SendToGroupAsync("customers", MessageData.Text("buy spam"), cancellationToken: ct);
        Assert.Equal(("hello", true), (plain.Published?.ToString(), plain.Acknowledged));
        Assert.Equal(("**** it", true), (rewritten.Published?.ToString(), rewritten.Acknowledged));
        Assert.Equal((null, false, AckErrorNames.Forbidden, "No spam here."), (rejected.Published, rejected.Acknowledged, rejected.Error?.Name, rejected.Error?.Message));
    }

    [Fact(Timeout = 10_000)]
    public async Task AnInvocationAnswersWithTheSameDataAndType()
    {
        await using var host = Host();
        var ct = TestContext.Current.CancellationToken;
        var text = await host.InvokeAsync("echo", MessageData.Text("hi"), cancellationToken: ct);
        var binary = await host.InvokeAsync("echo", MessageData.Binary(new byte[] { 1, 2, 3 }), cancellationToken: ct);
        Assert.Equal(MessageData.Text("hi"), text.Answer);
        Assert.Equal(MessageData.Binary(new byte[] { 1, 2, 3 }), binary.Answer);
    }

    [Fact(Timeout = 10_000)]
    public async Task AnInvocationReturningAnObjectAnswersJsonAndOneReturningNothingAnswersEmpty()
    {
        await using var host = Host();
        var ct = TestContext.Current.CancellationToken;
        var price = await host.InvokeAsync("price", MessageData.Json("""{"item":"tea","quantity":2}"""), cancellationToken: ct);
        var nothing = await host.InvokeAsync("nothing", MessageData.Text(""), cancellationToken: ct);
        Assert.Equal(MessageData.Json("""{"item":"tea","total":6}"""), price.Answer);
        Assert.Equal((true, null), (nothing.Answered, nothing.Answer));
    }

    [Fact(Timeout = 10_000)]
    public async Task AnInvocationNoMethodAnswersFailsWithNotFoundAndAHubExceptionWithItsName()
    {
        await using var host = Host();
        var ct = TestContext.Current.CancellationToken;
        var missing = await host.InvokeAsync("missing", MessageData.Text("?"), cancellationToken: ct);
        var denied = await host.InvokeAsync("denied", MessageData.Text("?"), cancellationToken: ct);
        Assert.Equal(AckErrorNames.NotFound, missing.Error?.Name);
        Assert.Equal((AckErrorNames.Forbidden, "Members only."), (denied.Error?.Name, denied.Error?.Message));
    }

    [Fact(Timeout = 10_000)]
    public async Task AnInvocationPastItsTimeoutIsAnsweredWithTimeout()
    {
        var time = new FakeTimeProvider();
        await using var host = Host(services => services.AddSingleton<TimeProvider>(time), new Dictionary<string, string?> { ["Functions:Handlers:InvocationTimeout"] = "00:00:05" });
        var invocation = host.InvokeAsync("slow", MessageData.Text(""), cancellationToken: TestContext.Current.CancellationToken);
        await ShopHub.Started.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(5));
        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(AckErrorNames.Timeout, result.Error?.Name);
    }

    [Fact(Timeout = 10_000)]
    public async Task ACancelledInvocationStopsItsHandlerAndIsNotAnswered()
    {
        await using var host = Host();
        var invocation = host.InvokeAsync("slow", MessageData.Text(""), connectionId: "c-cancel", cancellationToken: TestContext.Current.CancellationToken);
        await ShopHub.Started.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var running = host.Services.GetRequiredService<RunningInvocations>();
        Assert.True(running.Cancel("c-cancel", "1"));
        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Empty(result.Deliveries);
        Assert.Equal(0, running.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task AHandlerThatThrowsLetsTheHostRetryAndAHubExceptionRefusesAtOnce()
    {
        await using var host = Host();
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.SendEventAsync("fail", MessageData.Text(""), cancellationToken: ct));
        var refused = await host.SendEventAsync("refuse", MessageData.Text(""), cancellationToken: ct);
        Assert.Equal((false, AckErrorNames.Forbidden, "Not for you."), (refused.Acknowledged, refused.Error?.Name, refused.Error?.Message));
    }

    [Fact(Timeout = 10_000)]
    public async Task ABatchMethodGetsTheEventsReadTogetherInOneCallAndEachIsAcked()
    {
        await using var host = Host();
        var results = await host.SendEventsAsync(
            [("save", MessageData.Text("a")), ("save", MessageData.Text("b")), ("order", MessageData.Json("""{"item":"x","quantity":1}""")), ("save", MessageData.Text("c"))],
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.All(results, r => Assert.True(r.Acknowledged));
        Assert.Equal("save:2:a,b", _calls.Log[0]);
        Assert.StartsWith("order:", _calls.Log[1], StringComparison.Ordinal);
        Assert.Equal("save:1:c", _calls.Log[2]);
    }

    [Fact(Timeout = 10_000)]
    public async Task MiddlewareRunsAroundEveryHandlerInRegistrationOrderWithAScopePerEvent()
    {
        await using var host = Host(services => services.AddBrokerChatHubMiddleware<OuterMiddleware>().AddBrokerChatHubMiddleware<InnerMiddleware>());
        var ct = TestContext.Current.CancellationToken;
        await host.SendEventAsync("order", MessageData.Json("""{"item":"a","quantity":1}"""), cancellationToken: ct);
        await host.SendEventAsync("order", MessageData.Json("""{"item":"b","quantity":1}"""), cancellationToken: ct);
        Assert.Equal(["outer>UserEvent:order", "inner>", "outer<"], new[] { _calls.Log[0], _calls.Log[1], _calls.Log[4] });
        Assert.Equal("inner<", _calls.Log[3]);
        var scopes = _calls.Log.Where(l => l.StartsWith("order:", StringComparison.Ordinal)).Select(l => l.Split(':')[2]).ToArray();
        Assert.Equal(2, scopes.Distinct().Count());
    }

    [Fact(Timeout = 10_000)]
    public async Task AHubThatDoesNotOverrideConnectLeavesAdmissionToTheToken()
    {
        await using var host = HubTestHost.Create<TwiceHubless>();
        Assert.True((await host.ConnectAsync("anyone", cancellationToken: TestContext.Current.CancellationToken)).Accepted);
    }

    [Fact]
    public void AHubWithoutANameOrWithTwoMethodsForOneEventFailsAtStartup()
    {
        Assert.Contains("names no hub", Assert.Throws<InvalidOperationException>(() => HubTestHost.Create<UnnamedHub>()).Message, StringComparison.Ordinal);
        Assert.Contains("two methods", Assert.Throws<InvalidOperationException>(() => HubTestHost.Create<TwiceHub>()).Message, StringComparison.Ordinal);
    }
}

[Hub("plain")]
public sealed class TwiceHubless : BrokerChatHub;
