using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Hosting;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Testing;

/// <summary>
/// A whole BrokerChat in this process: connector on 127.0.0.1 with a kernel-chosen port, embedded Kafka and the
/// in-process function workers, started and ready (deliveries being read, every worker owning partitions).
/// </summary>
public sealed class BrokerChatHost : IAsyncDisposable
{
    private BrokerChatHost(WebApplication app, Uri baseUri)
    {
        App = app;
        BaseUri = baseUri;
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>The HTTP base address, ending with '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>Services of the application.</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>Starts a host; <paramref name="settings"/> are configuration keys such as <c>Functions:InProcessWorkers</c>.</summary>
    public static async Task<BrokerChatHost> StartAsync(IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? configureServices = null, bool waitForWorkers = true)
    {
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default", "Warning",
            "--Auth:AccessKeys:0", "test-access-key-0123456789abcdef0123456789",
            "--Auth:EnableNegotiate", "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}");
            args.Add(value);
        }

        var app = ConnectorApp.Build([.. args], configureServices);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (waitForWorkers)
        {
            await ConnectorApp.WaitUntilReadyAsync(app, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }

        var address = ConnectorApp.Addresses(app)[0];
        return new BrokerChatHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A client access URL minted directly (no HTTP round trip), by default with the roles to join and send anywhere.</summary>
    public Uri ClientUrl(string hub, string? userId, IEnumerable<string>? roles = null)
    {
        var tokens = Services.GetRequiredService<AccessTokenService>();
        var token = tokens.Mint(new Uri(BaseUri, $"client/hubs/{hub}").ToString(), userId, roles ?? [Permissions.JoinLeaveGroup, Permissions.SendToGroup], [], TimeSpan.FromHours(1));
        return new Uri($"ws://{BaseUri.Authority}/client/hubs/{hub}?access_token={token}");
    }

    /// <summary>Connects a test client through <c>/negotiate</c>.</summary>
    public Task<PubSubTestClient> ConnectAsync(string hub, string? userId, CancellationToken cancellationToken = default) =>
        PubSubTestClient.ConnectAsync(BaseUri, hub, userId, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
