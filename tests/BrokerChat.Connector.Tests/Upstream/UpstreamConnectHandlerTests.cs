using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Tests.Pipes;
using BrokerChat.Connector.Upstream;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Tests.Upstream;

/// <summary>
/// The HTTP <c>connect</c> handler against a small event-handler server on a real socket: what it sends (the
/// CloudEvents headers, a signature the access key verifies, the JSON body) and how it reads the answers.
/// </summary>
public sealed class UpstreamConnectHandlerTests : IAsyncLifetime
{
    private const string Key = "upstream-test-key-0123456789abcdef0123456789";
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly TaskCompletionSource _slowArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _server = null!;

    private sealed record Request(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapPost("/hooks/{hub}/{event}", async (HttpContext context, string hub) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            _requests.Enqueue(new Request(context.Request.Path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            switch (hub)
            {
                case "refuse":
                    context.Response.StatusCode = 401;
                    await context.Response.WriteAsync("Go away.", context.RequestAborted);
                    break;
                case "slow":
                    _slowArrived.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
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

        var request = Assert.Single(_requests);
        Assert.Equal("/hooks/accept/connect", request.Path);
        var h = request.Headers;
        Assert.Equal(("1.0", "azure.webpubsub.sys.connect", "/hubs/accept/client/conn-1", "1.0"), (h["ce-specversion"], h["ce-type"], h["ce-source"], h["ce-awpsversion"]));
        Assert.Equal(("accept", "connect", "conn-1", "alice"), (h["ce-hub"], h["ce-eventName"], h["ce-connectionId"], h["ce-userId"]));
        Assert.False(string.IsNullOrEmpty(h["ce-id"]));
        Assert.Equal(services.Clock.GetUtcNow(), DateTimeOffset.Parse(h["ce-time"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("application/json", h["Content-Type"], StringComparison.Ordinal);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), "conn-1"u8));
        Assert.Equal(expected, h["ce-signature"]);
        var body = ConnectEventJson.ReadRequest("accept", "conn-1", "alice", request.Body, out var error);
        Assert.Null(error);
        Assert.Equal(["blue"], body!.Query["room"]);
        Assert.Equal(["tests"], body.Headers["X-Client"]);
        Assert.Equal([WebPubSubSubprotocols.Json], body.Subprotocols);
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
    public async Task AServerThatDoesNotAnswerWithinTheConnectTimeoutFailsTheUpgradeClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services("slow");
        var token = services.Get<AccessTokenService>().Mint("http://connector/client/hubs/slow", "u", [], [], TimeSpan.FromHours(1));

        var admitting = services.Get<ConnectionAdmission>().AdmitAsync(new UpgradeRequest("slow", token, null, [WebPubSubSubprotocols.Json], null, null, null), ct).AsTask();
        await _slowArrived.Task.WaitAsync(ct);
        services.Clock.Advance(TimeSpan.FromSeconds(5));
        var (admitted, refusal) = await admitting.WaitAsync(ct);

        Assert.Null(admitted);
        Assert.Equal((504, "connect_timeout"), (refusal.Status, refusal.Metric));
    }

    [Fact(Timeout = 30_000)]
    public async Task OnlyTheHubsConfiguredWithTheConnectEventAreHandled()
    {
        await using var services = Services("accept");
        var handler = services.Get<UpstreamConnectHandler>();

        Assert.True(handler.Handles("accept"));
        Assert.False(handler.Handles("other"));
        await using var none = new ConnectorServices();
        Assert.Empty(none.Get<IEnumerable<IConnectEventHandler>>());
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
    }

    [Theory(Timeout = 30_000)]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/hooks")]
    [InlineData("/relative/{event}")]
    public async Task AnEventHandlerUrlThatIsNotAbsoluteHttpIsRefusedAtStartupWithoutQuotingIt(string url)
    {
        var settings = new HostSettings();
        settings.Connector.SetEventHandler("chat", url, "connect");
        await using var services = new ConnectorServices(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => services.Get<IOptions<UpstreamOptions>>().Value);

        Assert.Contains("Connector:EventHandlers:chat:Url", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(url, failure.Message, StringComparison.Ordinal);
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
    }

    private ConnectorServices Services(string hub)
    {
        var settings = new HostSettings { Auth = { AccessKeys = [Key] } };
        settings.Connector.SetEventHandler(hub, _server.Urls.First() + "/hooks/{hub}/{event}", "connect");
        return new ConnectorServices(settings);
    }

    private static ConnectEvent Event(string hub) => new(hub, "conn-2", null, [], [], [], new Dictionary<string, string[]>(), new Dictionary<string, string[]>(), new Dictionary<string, string[]>());
}
