using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Tests.Pipes;
using BrokerChat.Connector.Upstream;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.EventHandlers;
using BrokerChat.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Tests.Upstream;

/// <summary>
/// The connector's <c>connect</c> webhook against a small event-handler server on a real socket: what it sends (the
/// CloudEvents headers, a signature the access key verifies, the JSON body), how it reads the answers, how a webhook
/// that cannot be asked refuses the upgrade, and its place after a hub's handler in this process.
/// </summary>
public sealed class UpstreamConnectHandlerTests : IAsyncLifetime
{
    private const string Key = "upstream-test-key-0123456789abcdef0123456789";
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly TaskCompletionSource _slowArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _server = null!;

    private sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapMethods("/hooks/{hub}/{event}", ["OPTIONS"], (HttpContext context) =>
        {
            Record(context, []);
            context.Response.Headers[WebPubSubCloudEvents.AllowedOrigin] = "*";
            return Results.Ok();
        });
        _server.MapPost("/hooks/{hub}/{event}", async (HttpContext context, string hub) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            Record(context, body.ToArray());
            switch (hub)
            {
                case "refuse":
                    context.Response.StatusCode = 401;
                    await context.Response.WriteAsync("Go away.", context.RequestAborted);
                    break;
                case "broken":
                    context.Response.StatusCode = 503;
                    await context.Response.WriteAsync("Down for maintenance.", context.RequestAborted);
                    break;
                case "slow":
                    _slowArrived.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    break;
                case "state":
                    context.Response.Headers[WebPubSubCloudEvents.ConnectionState] = "eyJjb3VudCI6MX0=";
                    context.Response.StatusCode = 204;
                    break;
                case "bigstate":
                    context.Response.Headers[WebPubSubCloudEvents.ConnectionState] = new string('x', WebPubSubCloudEvents.MaxConnectionStateLength + 1);
                    context.Response.StatusCode = 204;
                    break;
                default:
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("""{"userId":"from-hook","groups":["g1"],"roles":["r1"]}""", context.RequestAborted);
                    break;
            }
        });
        await _server.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact(Timeout = 30_000)]
    public async Task ItPostsTheConnectEventWithTheCloudEventsHeadersAndASignatureTheAccessKeyVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("accept");
        var connect = new ConnectEvent("accept", "conn-1", "alice", ["r0"], ["g0"], [WebPubSubSubprotocols.Json],
            new Dictionary<string, string[]> { ["sub"] = ["alice"] }, new Dictionary<string, string[]> { ["room"] = ["blue"] }, new Dictionary<string, string[]> { ["X-Client"] = ["tests"] });

        await services.Get<UpstreamConnectHandler>().ConnectAsync(connect, ct);

        var requests = _requests.ToArray();
        Assert.Equal(["OPTIONS /hooks/accept/validate", "POST /hooks/accept/connect"], requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(requests, r => Assert.Equal(services.Get<EventHandlerSender>().Origin, r.Headers[WebPubSubCloudEvents.RequestOrigin]));
        var h = requests[1].Headers;
        Assert.Equal(("1.0", "azure.webpubsub.sys.connect", "/hubs/accept/client/conn-1", "1.0"), (h["ce-specversion"], h["ce-type"], h["ce-source"], h["ce-awpsversion"]));
        Assert.Equal(("accept", "connect", "conn-1", "alice"), (h["ce-hub"], h["ce-eventName"], h["ce-connectionId"], h["ce-userId"]));
        Assert.False(string.IsNullOrEmpty(h["ce-id"]));
        Assert.Equal(services.Clock.GetUtcNow(), DateTimeOffset.Parse(h["ce-time"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("application/json", h["Content-Type"], StringComparison.Ordinal);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), "conn-1"u8));
        Assert.Equal(expected, h["ce-signature"]);
        Assert.True(WebPubSubSignature.IsValid(h["ce-signature"], "conn-1", [Key]));
        var body = ConnectEventJson.ReadRequest("accept", "conn-1", "alice", requests[1].Body, out var error);
        Assert.Null(error);
        Assert.Equal(["blue"], body!.Query["room"]);
        Assert.Equal(["tests"], body.Headers["X-Client"]);
        Assert.Equal([WebPubSubSubprotocols.Json], body.Subprotocols);
        Assert.Contains("\"clientCertificates\":[]", Encoding.UTF8.GetString(requests[1].Body), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task TheRequestsAreSignedWithTheConnectorsOwnAccessKeysEveryOneOfThem()
    {
        await using var services = Services("accept", Key, "second-key-0123456789abcdef0123456789abcd");

        var keys = services.Get<IEventSigningKeys>();

        Assert.IsType<AccessKeySigningKeys>(keys);
        Assert.Equal(services.Get<AccessTokenService>().Keys, keys.Keys);
        Assert.Equal(2, keys.Keys.Count);
        await Task.CompletedTask.WaitAsync(TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 30_000)]
    public async Task A200WithJsonIsAnAcceptanceWithWhatItNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("accept");

        var result = await services.Get<UpstreamConnectHandler>().ConnectAsync(Event("accept"), ct);

        Assert.True(result.Accepted);
        Assert.Equal("from-hook", result.UserId);
        Assert.Equal(["g1"], result.Groups!);
        Assert.Equal(["r1"], result.Roles!);
    }

    [Fact(Timeout = 30_000)]
    public async Task A401WithABodyIsARefusalWithThatStatusAndTheBodyAsTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("refuse");

        var result = await services.Get<UpstreamConnectHandler>().ConnectAsync(Event("refuse"), ct);

        Assert.Equal((false, 401, "Go away."), (result.Accepted, result.Status, result.Reason));
    }

    [Fact(Timeout = 30_000)]
    public async Task A5xxAnswerRefusesTheUpgradeWithThatStatusAndTheBodyAsTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("broken");

        var (admitted, refusal) = await AdmitAsync(services, "broken", ct);

        Assert.Null(admitted);
        Assert.Equal((503, "connect_refused", "Down for maintenance."), (refusal.Status, refusal.Metric, refusal.Reason));
    }

    [Fact(Timeout = 30_000)]
    public async Task AServerThatDoesNotAnswerWithinTheConnectTimeoutFailsTheUpgradeClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("slow");

        var admitting = AdmitAsync(services, "slow", ct);
        await _slowArrived.Task.WaitAsync(ct);
        services.Clock.Advance(TimeSpan.FromSeconds(5));
        var (admitted, refusal) = await admitting.WaitAsync(ct);

        Assert.Null(admitted);
        Assert.Equal((504, "connect_timeout"), (refusal.Status, refusal.Metric));
    }

    [Fact(Timeout = 30_000)]
    public async Task AnUnreachableWebhookRefusesWith502ThenItsOpenCircuitWith503WithoutCallingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = Settings("down", "http://127.0.0.1:" + ClosedPort.Next() + "/hooks/{hub}/{event}");
        settings.EventHandlers.FailuresBeforeBreak = 2;
        await using var services = new ConnectorServices(settings);

        var first = await AdmitAsync(services, "down", ct);
        var second = await AdmitAsync(services, "down", ct);
        var third = await AdmitAsync(services, "down", ct);

        Assert.Equal((502, "connect_unavailable"), (first.Refusal.Status, first.Refusal.Metric));
        Assert.Equal(502, second.Refusal.Status);
        Assert.Equal((503, "connect_unavailable"), (third.Refusal.Status, third.Refusal.Metric));
        Assert.DoesNotContain("127.0.0.1", third.Refusal.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task TheConnectAnswersStateIsKeptOnTheConnectionAndAnOversizedOneRefusesWith500()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = Settings("state");
        settings.EventHandlers.Add("bigstate", _server.Urls.First() + "/hooks/{hub}/{event}", null, "connect");
        await using var services = new ConnectorServices(settings);

        var (admitted, _) = await AdmitAsync(services, "state", ct);
        var (tooLarge, refusal) = await AdmitAsync(services, "bigstate", ct);

        Assert.Equal("eyJjb3VudCI6MX0=", admitted!.Value.Connection.ConnectionState);
        Assert.True(admitted.Value.Connection.HasEventHandlers);
        Assert.Null(tooLarge);
        Assert.Equal((500, "connect_failed"), (refusal.Status, refusal.Metric));
    }

    [Fact(Timeout = 30_000)]
    public async Task TheHubsHandlerInThisProcessDecidesFirstAndTheWebhookSeesItsIdentity()
    {
        var ct = TestContext.Current.CancellationToken;
        var typed = new TypedHandler("accept", ConnectEventResult.Accept() with { UserId = "typed-user", Groups = ["typed-group"] });
        await using var services = new ConnectorServices(Settings("accept"), s => s.AddSingleton<IConnectEventHandler>(typed));

        var (admitted, _) = await AdmitAsync(services, "accept", ct);

        Assert.Equal(1, typed.Calls);
        var posted = _requests.Single(r => r.Method == "POST");
        Assert.Equal("typed-user", posted.Headers["ce-userId"]);
        Assert.Equal("from-hook", admitted!.Value.Connection.UserId); // the webhook, asked last, has the last word
        Assert.Equal(["typed-group", "g1"], admitted.Value.Groups);
    }

    [Fact(Timeout = 30_000)]
    public async Task ARefusalByTheHubsHandlerInThisProcessIsFinalAndTheWebhookIsNotAsked()
    {
        var ct = TestContext.Current.CancellationToken;
        var typed = new TypedHandler("accept", ConnectEventResult.Refuse(403, "Not you."));
        await using var services = new ConnectorServices(Settings("accept"), s => s.AddSingleton<IConnectEventHandler>(typed));

        var (admitted, refusal) = await AdmitAsync(services, "accept", ct);

        Assert.Null(admitted);
        Assert.Equal((403, "Not you."), (refusal.Status, refusal.Reason));
        Assert.Empty(_requests);
    }

    [Fact(Timeout = 30_000)]
    public async Task ATlsClientCertificateIsDescribedAsAzureDoesByItsSha1ThumbprintAndItsPem()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=device-7", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var described = ConnectHandlers.Describe(certificate);
        var json = Encoding.UTF8.GetString(ConnectEventJson.WriteRequest(Event("accept") with { ClientCertificates = [described] }));

#pragma warning disable CA5350 // Azure names a client certificate by its SHA-1 thumbprint
        Assert.Equal(Convert.ToHexString(SHA1.HashData(certificate.RawData)), described.Thumbprint);
#pragma warning restore CA5350
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", described.Content, StringComparison.Ordinal);
        Assert.Equal(certificate.RawData, X509Certificate2.CreateFromPem(described.Content).RawData);
        Assert.Contains($"\"clientCertificates\":[{{\"thumbprint\":\"{described.Thumbprint}\",\"content\":", json, StringComparison.Ordinal);
        await Task.CompletedTask.WaitAsync(TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 30_000)]
    public async Task OnlyTheHubsWithAConnectHandlerAreAskedAndAHubWithoutEventHandlersIsNotStamped()
    {
        var settings = Settings("accept");
        settings.EventHandlers.Add("notify", _server.Urls.First() + "/hooks/{hub}/{event}", "*", "connected");
        await using var services = new ConnectorServices(settings);
        var handlers = services.Get<ConnectHandlers>();

        Assert.True(handlers.Handles("accept"));
        Assert.False(handlers.Handles("notify"));
        Assert.False(handlers.Handles("other"));
        Assert.Equal((true, true, false), (handlers.HasEventHandlers("accept"), handlers.HasEventHandlers("notify"), handlers.HasEventHandlers("other")));
        await using var none = new ConnectorServices();
        Assert.False(none.Get<ConnectHandlers>().Handles("accept"));
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
    }

    [Theory(Timeout = 30_000)]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/hooks")]
    [InlineData("/relative/{event}")]
    public async Task AnEventHandlerUrlThatIsNotAbsoluteHttpIsRefusedAtStartupWithoutQuotingIt(string url)
    {
        var settings = new HostSettings();
        settings.EventHandlers.Add("chat", url, null, "connect");
        await using var services = new ConnectorServices(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => services.Get<IOptions<HubEventHandlerOptions>>().Value);

        Assert.Contains("Hubs:chat:EventHandlers:0:UrlTemplate", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(url, failure.Message, StringComparison.Ordinal);
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
    }

    private void Record(HttpContext context, byte[] body) =>
        _requests.Enqueue(new Request(context.Request.Method, context.Request.Path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));

    private HostSettings Settings(string hub, string? url = null, params string[] keys)
    {
        var settings = new HostSettings { Auth = { AccessKeys = keys.Length > 0 ? keys : [Key] } };
        settings.EventHandlers.Add(hub, url ?? _server.Urls.First() + "/hooks/{hub}/{event}", null, "connect");
        return settings;
    }

    private ConnectorServices Services(string hub, params string[] keys) => new(Settings(hub, null, keys));

    private static Task<(AdmittedClient? Admitted, Refusal Refusal)> AdmitAsync(ConnectorServices services, string hub, CancellationToken ct)
    {
        var token = services.Get<AccessTokenService>().Mint($"http://connector/client/hubs/{hub}", "u", [], [], TimeSpan.FromHours(1));
        return services.Get<ConnectionAdmission>().AdmitAsync(new UpgradeRequest(hub, token, null, [WebPubSubSubprotocols.Json], null, null, null), ct).AsTask();
    }


    private static ConnectEvent Event(string hub) => new(hub, "conn-2", null, [], [], [], new Dictionary<string, string[]>(), new Dictionary<string, string[]>(), new Dictionary<string, string[]>());

    private sealed class TypedHandler(string hub, ConnectEventResult answer) : IConnectEventHandler
    {
        public int Calls { get; private set; }

        public bool Handles(string name) => name == hub;

        public ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(answer);
        }
    }
}
