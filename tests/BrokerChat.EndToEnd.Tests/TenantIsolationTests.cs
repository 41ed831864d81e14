using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

/// <summary>Rotating access keys in configuration while the connector runs, and keys never reaching the logs.</summary>
public sealed class AccessKeyRotationTests
{
    private const string KeyOne = "rotation-key-one-0123456789abcdef0123456789";
    private const string KeyTwo = "rotation-key-two-0123456789abcdef0123456789";
    private const string Stranger = "rotation-stranger-0123456789abcdef01234567";

    [Fact(Timeout = 90_000)]
    public async Task KeyRemovedFromConfigurationStopsWorkingWhileClientsKeepTheirConnectionsAndNoKeyIsLogged()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var host = await BrokerChatHost.StartAsync(new Dictionary<string, string>
        {
            ["Auth:AccessKeys:0"] = KeyOne,
            ["Auth:AccessKeys:1"] = KeyTwo,
            ["Logging:LogLevel:Default"] = "Trace",
        }, services => services.AddSingleton<ILoggerProvider>(logs));
        var tokens = new List<string>();
        Uri ClientUrl(string key, string user, TimeSpan? lifetime = null)
        {
            var token = Signer(key).Mint(new Uri(host.BaseUri, "client/hubs/rotation").ToString(), user, [Permissions.JoinLeaveGroup, Permissions.SendToGroup], [], lifetime ?? TimeSpan.FromMinutes(5));
            tokens.Add(token);
            return new Uri($"ws://{host.BaseUri.Authority}/client/hubs/rotation?access_token={token}");
        }

        async Task<HttpStatusCode> Rest(string key)
        {
            var url = new Uri(host.BaseUri, "api/hubs/rotation/:send");
            var token = Signer(key).Mint(url.ToString(), null, [], [], TimeSpan.FromMinutes(5));
            tokens.Add(token);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("from the backend", Encoding.UTF8, "text/plain") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var http = new HttpClient();
            using var response = await http.SendAsync(request, ct);
            return response.StatusCode;
        }

        await using var one = await WebPubSubTestClient.ConnectUrlAsync(ClientUrl(KeyOne, "one"), cancellationToken: ct);
        await using var two = await WebPubSubTestClient.ConnectUrlAsync(ClientUrl(KeyTwo, "two"), cancellationToken: ct);
        await using (var stranger = await RawWebSocket.ConnectAsync(ClientUrl(Stranger, "x"), ct))
        await using (var expired = await RawWebSocket.ConnectAsync(ClientUrl(KeyOne, "x", TimeSpan.FromMinutes(-10)), ct))
        {
            Assert.Equal((401, 401), (stranger.Status, expired.Status));
        }

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Unauthorized), (await Rest(KeyTwo), await Rest(Stranger)));

        // Key two is taken out of configuration (here by a source added on top; a changed settings file or secret does the same).
        ((IConfigurationBuilder)host.App.Configuration).Add(new MemoryConfigurationSource { InitialData = new Dictionary<string, string?> { ["Auth:AccessKeys:1"] = KeyOne } });
        await Wait.UntilAsync(() => logs.Entries.Any(e => e.EventName == "AccessKeysReloaded"), ct);

        await using (var signedTwo = await RawWebSocket.ConnectAsync(ClientUrl(KeyTwo, "late"), ct))
        await using (var signedOne = await RawWebSocket.ConnectAsync(ClientUrl(KeyOne, "late"), ct))
        {
            Assert.Equal((401, 101), (signedTwo.Status, signedOne.Status));
        }

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Accepted), (await Rest(KeyTwo), await Rest(KeyOne)));

        // Both clients that were connected stay connected and keep chatting: nobody had to restart.
        Assert.True((await two.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await one.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await one.SendToGroupAsync("room", "still here", cancellationToken: ct))!.Success);
        Assert.Equal("still here", (string?)(await two.WaitForFrameAsync(f => (string?)f["data"] == "still here", ct))["data"]);

        var logged = logs.Entries.ToList();
        Assert.Contains(logged, e => e.EventName == "ConnectionRefused");
        Assert.Contains(logged, e => e.EventName == "RestUnauthorized");
        var secrets = new[] { KeyOne, KeyTwo, Stranger }.Concat(tokens.Select(t => t[(t.LastIndexOf('.') + 1)..])).Concat(tokens).ToList();
        foreach (var entry in logged)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, entry.Text, StringComparison.Ordinal);
            }
        }
    }

    private static AccessTokenService Signer(string key) => new(Options.Create(new AuthOptions { AccessKeys = [key] }), TimeProvider.System);

    private sealed record Entry(string? EventName, string Text);

    /// <summary>Records every log entry of every category: its message, its structured values and any exception.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                provider.Entries.Enqueue(new Entry(eventId.Name, $"{category} {formatter(state, exception)} {values} {exception}"));
            }
        }
    }
}
