using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;
using Microsoft.Extensions.Options;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Keys configured as Web PubSub connection strings, as an application set up for Azure has them.</summary>
public sealed class AccessKeyConfigurationTests
{
    private const string NewKey = "new-key-0123456789abcdef0123456789abcdef";
    private const string OldKey = "old-key-0123456789abcdef0123456789abcdef";
    private const string OtherKey = "other-key-0123456789abcdef0123456789abcdef";

    [Fact(Timeout = 60_000)]
    public async Task ClientsWithTokensFromEitherConnectionStringKeyConnectAndOthersGet401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Auth =
            {
                ConnectionString = $"Endpoint=http://127.0.0.1;AccessKey={NewKey};Version=1.0;",
                SecondaryConnectionString = $"Endpoint=http://127.0.0.1;AccessKey={OldKey};Version=1.0;",
            },
            Functions = { InProcessWorkers = 0 },
        });

        await using var signedNew = await RawWebSocket.ConnectAsync(UrlSignedWith(host, NewKey), ct);
        await using var signedOld = await RawWebSocket.ConnectAsync(UrlSignedWith(host, OldKey), ct);
        await using var signedOther = await RawWebSocket.ConnectAsync(UrlSignedWith(host, OtherKey), ct);

        Assert.Equal((101, 101, 401), (signedNew.Status, signedOld.Status, signedOther.Status));
    }

    private static Uri UrlSignedWith(BrokerChatHost host, string key)
    {
        var tokens = new AccessTokenService(Options.Create(new AuthOptions { AccessKeys = [key] }), TimeProvider.System);
        var token = tokens.Mint(new Uri(host.BaseUri, "client/hubs/keys").ToString(), "u", [Permissions.JoinLeaveGroup], [], TimeSpan.FromMinutes(5));
        return new Uri($"ws://{host.BaseUri.Authority}/client/hubs/keys?access_token={token}");
    }
}
