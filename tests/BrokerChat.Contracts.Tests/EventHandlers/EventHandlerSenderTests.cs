using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using BrokerChat.EventHandlers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Contracts.Tests.EventHandlers;

/// <summary>
/// <see cref="EventHandlerSender"/> against a real local HTTP server: the CloudEvents request as Azure sends it, the
/// abuse-protection check, the signature, and the bounds (circuit breaker, answer size, timeout, concurrency).
/// </summary>
public sealed class EventHandlerSenderTests : IAsyncLifetime
{
    private const string OldKey = "old-access-key-0123456789abcdef0123456789";
    private const string NewKey = "new-access-key-0123456789abcdef0123456789";
    private const string Origin = "brokerchat.test:8080";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, 250, TimeSpan.Zero));
    private HandlerServer _server = null!;
    private ServiceProvider? _services;

    public async ValueTask InitializeAsync() => _server = await HandlerServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task AUserEventCarriesEveryCloudEventsHeaderAsAzureSendsItAndItsPayloadWithItsMediaType()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();
        var @event = WebPubSubEvent.User("chat", "conn-1", "msg-7", _time.GetUtcNow(), "message", "alice", "json.webpubsub.azure.v1", "eyJrIjoxfQ==", DataType.Text, "hello"u8.ToArray());

        var response = await sender.SendAsync(target("message"), @event, ct);

        Assert.Equal(204, response.Status);
        var post = _server.Requests.Single(r => r.Method == "POST");
        Assert.Equal("/hooks/chat/message", post.Path);
        var h = post.Headers;
        Assert.Equal("1.0", h["ce-specversion"]);
        Assert.Equal("azure.webpubsub.user.message", h["ce-type"]);
        Assert.Equal("/hubs/chat/client/conn-1", h["ce-source"]);
        Assert.Equal("msg-7", h["ce-id"]);
        Assert.Equal("2026-12-03T12:00:00.250Z", h["ce-time"]);
        Assert.Equal(("1.0", "chat", "conn-1", "alice", "message"), (h["ce-awpsversion"], h["ce-hub"], h["ce-connectionId"], h["ce-userId"], h["ce-eventName"]));
        Assert.Equal(("json.webpubsub.azure.v1", "eyJrIjoxfQ=="), (h["ce-subprotocol"], h["ce-connectionState"]));
        Assert.Equal(Origin, h["WebHook-Request-Origin"]);
        Assert.StartsWith("text/plain", h["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("hello"u8.ToArray(), post.Body);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnAnonymousSimpleClientsEventHasNoUserSubprotocolOrStateHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();

        await sender.SendAsync(target("message"), WebPubSubEvent.User("chat", "conn-1", "1", _time.GetUtcNow(), "message", null, null, null, DataType.Binary, new byte[] { 1, 2 }), ct);

        var h = _server.Requests.Single(r => r.Method == "POST").Headers;
        Assert.False(h.ContainsKey("ce-userId"));
        Assert.False(h.ContainsKey("ce-subprotocol"));
        Assert.False(h.ContainsKey("ce-connectionState"));
        Assert.Equal("application/octet-stream", h["Content-Type"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task EveryRequestCarriesTheOriginAndTheSignatureHoldsOneHmacPerKeySoEitherKeyOfARotationVerifiesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();

        await sender.SendAsync(target("connected"), Connected("conn-42"), ct);

        Assert.All(_server.Requests, r => Assert.Equal(Origin, r.Headers["WebHook-Request-Origin"]));
        Assert.Equal("1.0", _server.Requests.First().Headers["ce-awpsversion"]); // the OPTIONS check too
        var signature = _server.Requests.Single(r => r.Method == "POST").Headers["ce-signature"];
        Assert.Equal(2, signature.Split(',').Length);
        Assert.True(WebPubSubSignature.IsValid(signature, "conn-42", [OldKey]));
        Assert.True(WebPubSubSignature.IsValid(signature, "conn-42", [NewKey]));
        Assert.False(WebPubSubSignature.IsValid(signature, "conn-43", [NewKey]));
    }

    [Fact(Timeout = 30_000)]
    public async Task TheAbuseProtectionCheckIsAskedOnceThenTrustedAndAskedAgainAfterAFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();
        var answer = true;
        _server.Post = context =>
        {
            if (answer)
            {
                context.Response.StatusCode = 204;
            }
            else
            {
                context.Abort(); // no answer: a failure
            }

            return Task.CompletedTask;
        };

        await sender.SendAsync(target("connected"), Connected("c"), ct);
        await sender.SendAsync(target("connected"), Connected("c"), ct);
        var checksBefore = _server.Count("OPTIONS");
        answer = false;
        await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        answer = true;
        await sender.SendAsync(target("connected"), Connected("c"), ct);

        Assert.Equal(1, checksBefore);
        Assert.Equal(2, _server.Count("OPTIONS"));
        Assert.Equal("/hooks/chat/validate", _server.Requests.First().Path);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnOriginTheCheckDoesNotAllowIsRefusedWithoutPostingThenAskedAgainAfterTheBreak()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();
        _server.Options = context =>
        {
            context.Response.Headers["WebHook-Allowed-Origin"] = "someone-else.example";
            return Task.CompletedTask;
        };

        var refused = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        var again = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        var checksWhileRefused = _server.Count("OPTIONS");
        _server.Options = context =>
        {
            context.Response.Headers["WebHook-Allowed-Origin"] = Origin;
            return Task.CompletedTask;
        };
        _time.Advance(TimeSpan.FromSeconds(5));
        var response = await sender.SendAsync(target("connected"), Connected("c"), ct);

        Assert.Equal((EventHandlerUnavailableReason.OriginRefused, EventHandlerUnavailableReason.OriginRefused), (refused.Reason, again.Reason));
        Assert.Contains(Origin, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, checksWhileRefused);
        Assert.Equal(204, response.Status);
        Assert.Equal(1, _server.Count("POST"));
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnyOfSeveralAllowedOriginsMayBeThisOneInSeparateHeadersOrOneCommaList(bool separate)
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender();
        _server.Options = context =>
        {
            context.Response.Headers["WebHook-Allowed-Origin"] = separate ? new Microsoft.Extensions.Primitives.StringValues(["a.example", Origin.ToUpperInvariant()]) : "a.example, " + Origin;
            return Task.CompletedTask;
        };

        var response = await sender.SendAsync(target("connected"), Connected("c"), ct);

        Assert.Equal(204, response.Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task RepeatedFailuresOpenTheCircuitWhichRefusesAtOnceThenOneTrialClosesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender(new() { ["EventHandlers:FailuresBeforeBreak"] = "2", ["EventHandlers:BreakDuration"] = "00:00:10" });
        var answer = false;
        _server.Post = context =>
        {
            if (answer)
            {
                context.Response.StatusCode = 200;
            }
            else
            {
                context.Abort(); // no answer: a failure (an answer of any status is not)
            }

            return Task.CompletedTask;
        };

        var first = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        var open = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        _time.Advance(TimeSpan.FromSeconds(9));
        var stillOpen = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        var postsWhileOpen = _server.Count("POST");
        answer = true;
        _time.Advance(TimeSpan.FromSeconds(1));
        var trial = await sender.SendAsync(target("connected"), Connected("c"), ct);
        var after = await sender.SendAsync(target("connected"), Connected("c"), ct);

        Assert.Equal(EventHandlerUnavailableReason.Unreachable, first.Reason);
        Assert.Equal((EventHandlerUnavailableReason.CircuitOpen, EventHandlerUnavailableReason.CircuitOpen), (open.Reason, stillOpen.Reason));
        Assert.Equal(2, postsWhileOpen);
        Assert.Equal((200, 200), (trial.Status, after.Status));
        Assert.Equal(4, _server.Count("POST"));
    }

    [Fact(Timeout = 30_000)]
    public async Task ATrialCallItsCallerGaveUpOnLetsTheNextCallTryTheOpenCircuit()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender(new() { ["EventHandlers:FailuresBeforeBreak"] = "1" });
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mode = "fail";
        _server.Post = async context =>
        {
            switch (mode)
            {
                case "fail":
                    context.Abort();
                    break;
                case "hang":
                    arrived.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    break;
                default:
                    context.Response.StatusCode = 204;
                    break;
            }
        };
        await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("connected"), Connected("c"), ct));
        _time.Advance(TimeSpan.FromSeconds(5));
        mode = "hang";
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var trial = sender.SendAsync(target("connected"), Connected("c"), caller.Token);
        await arrived.Task.WaitAsync(ct);
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trial);
        mode = "ok";

        var next = await sender.SendAsync(target("connected"), Connected("c"), ct);

        Assert.Equal(204, next.Status);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnAnswerLargerThanTheBoundFailsTheCallAndOneAtTheBoundIsRead(bool declaresLength)
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender(new() { ["EventHandlers:MaxResponseBytes"] = "1024" });
        var size = 1025;
        _server.Post = async context =>
        {
            context.Response.ContentType = "text/plain";
            if (declaresLength)
            {
                context.Response.ContentLength = size;
            }

            await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string('x', size)), context.RequestAborted);
        };

        var tooLarge = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sender.SendAsync(target("message"), Message(), ct));
        size = 1024;
        var atBound = await sender.SendAsync(target("message"), Message(), ct);

        Assert.Equal(EventHandlerUnavailableReason.Unreachable, tooLarge.Reason);
        Assert.Contains("larger than 1024 bytes", tooLarge.Message, StringComparison.Ordinal);
        Assert.Equal(1024, atBound.Body.Length);
        Assert.Equal(DataType.Text, atBound.DataType);
    }

    [Fact(Timeout = 30_000)]
    public async Task AHandlerThatDoesNotAnswerWithinTheRequestTimeoutIsUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender(new() { ["EventHandlers:RequestTimeout"] = "00:00:02" });
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Post = async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        var sending = sender.SendAsync(target("message"), Message(), ct);
        await arrived.Task.WaitAsync(ct);
        _time.Advance(TimeSpan.FromSeconds(2));
        var timedOut = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => sending).WaitAsync(ct);

        Assert.Equal(EventHandlerUnavailableReason.TimedOut, timedOut.Reason);
        Assert.Contains("did not answer within 2 s", timedOut.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task CallsBeyondTheConcurrencyBoundWaitForAFreeSlotAndTimeOutThereWithoutBeingSent()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, target) = Sender(new() { ["EventHandlers:MaxConcurrentRequests"] = "1", ["EventHandlers:RequestTimeout"] = "00:00:10" });
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = false;
        _server.Post = async context =>
        {
            if (hold && firstArrived.TrySetResult())
            {
                await release.Task.WaitAsync(context.RequestAborted);
            }

            context.Response.StatusCode = 204;
        };
        await sender.SendAsync(target("message"), Message(), ct); // the check is done and trusted: what follows is POSTs only
        hold = true;

        var first = sender.SendAsync(target("message"), Message(), ct);
        await firstArrived.Task.WaitAsync(ct);
        var second = sender.SendAsync(target("message"), Message(), ct); // waits for the one slot
        _time.Advance(TimeSpan.FromSeconds(10));
        var sent = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => first).WaitAsync(ct);
        var waiting = await Assert.ThrowsAsync<EventHandlerUnavailableException>(() => second).WaitAsync(ct);
        release.TrySetResult();
        var afterwards = await sender.SendAsync(target("message"), Message(), ct);

        Assert.Contains("did not answer within 10 s", sent.Message, StringComparison.Ordinal);
        Assert.Equal(EventHandlerUnavailableReason.TimedOut, waiting.Reason);
        Assert.Contains("all 1 request slots of this process stayed taken", waiting.Message, StringComparison.Ordinal);
        Assert.Equal(204, afterwards.Status);
        Assert.Equal(3, _server.Count("POST")); // the warm-up, the first and the last: the second was never sent
    }

    private (EventHandlerSender Sender, Func<string, EventHandlerTarget> Target) Sender(Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Hubs:chat:EventHandlers:0:UrlTemplate"] = _server.Template,
            ["Hubs:chat:EventHandlers:0:UserEventPattern"] = "*",
            ["Hubs:chat:EventHandlers:0:SystemEvents:0"] = "connected",
            ["EventHandlers:RequestOrigin"] = Origin,
            ["Auth:AccessKeys:0"] = OldKey,
            ["Auth:AccessKeys:1"] = NewKey,
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        _services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<TimeProvider>(_time)
            .AddBrokerChatEventHandlers(configuration)
            .BuildServiceProvider();
        var routes = _services.GetRequiredService<EventHandlerRoutes>();
        return (_services.GetRequiredService<EventHandlerSender>(), name => name == "connected"
            ? routes.Find("chat", WebPubSubEventKind.Connected)!.Value
            : routes.Find("chat", WebPubSubEventKind.User, name)!.Value);
    }

    private WebPubSubEvent Connected(string connectionId) => WebPubSubEvent.Connected("chat", connectionId, Guid.NewGuid().ToString("N"), _time.GetUtcNow(), null, null, null);

    private WebPubSubEvent Message() => WebPubSubEvent.User("chat", "c", "1", _time.GetUtcNow(), "message", null, null, null, DataType.Text, "hi"u8.ToArray());
}
