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
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Auth = { AccessKeys = [KeyOne, KeyTwo] },
            DefaultLogLevel = "Trace",
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
        ((IConfigurationBuilder)host.App.Configuration).Add(new MemoryConfigurationSource { InitialData = new Dictionary<string, string?> { [$"{AuthOptions.SectionName}:{nameof(AuthOptions.AccessKeys)}:1"] = KeyOne } });
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
}
