using BrokerChat.Connector.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

#if BROKERCHAT_LOCAL_RUN
using BrokerChat.Connector.LocalRun;
#endif

namespace BrokerChat.Connector.Hosting;

/// <summary>
/// The composition root of the connector process: its services (<see cref="ConnectorServiceCollectionExtensions"/>),
/// Kestrel (<see cref="ConnectorKestrel"/>) and endpoints (<see cref="ConnectorEndpoints"/>). In a local-run build
/// (the default; see the project file) a process with no <c>Kafka:BootstrapServers</c> also hosts the embedded Kafka
/// and the function workers (<c>LocalRun/</c>), so the whole chat runs in one process.
/// </summary>
public static class ConnectorApp
{
    /// <summary>Builds the application from command-line arguments (standard ASP.NET Core keys such as <c>--urls</c> apply).</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configureServices">Replaces or adds services after the defaults (tests use it for a fake clock).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
#if BROKERCHAT_LOCAL_RUN
        // Kafka (and the embedded cluster) first: its host must start before, and stop after, everything that uses it.
        builder.Services.AddBrokerChatLocalRun(builder.Configuration);
#endif
        builder.Services.AddBrokerChatConnector(builder.Configuration);
        builder.ConfigureConnectorKestrel();
#if BROKERCHAT_LOCAL_RUN
        builder.UseLocalRunKeyAndHttps();
#endif
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapBrokerChatConnector();
        return app;
    }

    /// <summary>Starts the application, prints the address to open, and runs until it is stopped.</summary>
    public static async Task RunAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync().ConfigureAwait(false);
        LogStartup(app, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BrokerChat"));
        await app.WaitForShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Prints, once started, the addresses to open and, in a local run, a connection string for each (with the key
    /// tokens are signed with) and the HTTPS development certificate's path.
    /// </summary>
    public static void LogStartup(WebApplication app, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = PrintableAddresses(app);
        foreach (var address in addresses)
        {
            HostingLog.Running(logger, address + "/");
        }

#if BROKERCHAT_LOCAL_RUN
        LocalRunBanner.Log(app, addresses, logger);
#endif
    }

    /// <summary>The addresses Kestrel listens on as a browser on this machine reaches them (wildcard hosts as localhost), without a trailing slash.</summary>
    public static IReadOnlyList<string> PrintableAddresses(WebApplication app) =>
        Addresses(app).Select(address => address.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/')).ToList();

    /// <summary>Waits until every readiness check passes (deliveries are read, and in-process workers own partitions).</summary>
    public static async Task WaitUntilReadyAsync(WebApplication app, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        var dispatcher = app.Services.GetRequiredService<DeliveryDispatcher>();
        var health = app.Services.GetRequiredService<HealthCheckService>();
        using var cts = new CancellationTokenSource(timeout);
        await dispatcher.Ready.WaitAsync(cts.Token).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while ((await health.CheckHealthAsync(ConnectorHealth.IsReadinessCheck, cts.Token).ConfigureAwait(false)).Status != HealthStatus.Healthy)
        {
            await timer.WaitForNextTickAsync(cts.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The addresses Kestrel listens on.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
