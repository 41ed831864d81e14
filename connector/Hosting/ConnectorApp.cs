using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Inbound;
using BrokerChat.Connector.Outbound;
using BrokerChat.Connector.Presence;
using BrokerChat.Connector.Requests;
using BrokerChat.Connector.Rest;
using BrokerChat.Connector.Sessions;
using BrokerChat.Functions;
using BrokerChat.Functions.Hosting;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BrokerChat.Connector.Hosting;

/// <summary>
/// The composition root of the connector process: Kafka (embedded when no bootstrap servers are configured), the
/// in-process function workers, the WebSocket endpoint, the REST API (<c>/api/hubs/{hub}/...</c>), <c>/negotiate</c>,
/// health endpoints and the chat page.
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
        AddConnector(builder.Services, builder.Configuration);
        ConfigureKestrel(builder);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        MapConnector(app);
        return app;
    }

    /// <summary>Registers the connector's services.</summary>
    public static IServiceCollection AddConnector(IServiceCollection services, IConfiguration configuration)
    {
        // Kafka first: its cluster host must start before, and stop after, everything that uses Kafka.
        services.AddBrokerChatKafka(configuration);
        var embedded = string.IsNullOrWhiteSpace(configuration[$"{KafkaOptions.SectionName}:{nameof(KafkaOptions.BootstrapServers)}"]);
        var workers = configuration.GetValue<int?>($"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.InProcessWorkers)}") ?? (embedded ? 2 : 0);
        services.AddBrokerChatFunctions(configuration, workers);

        services.AddOptions<ConnectorOptions>().Bind(configuration.GetSection(ConnectorOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConnectorOptions>, ConnectorOptionsValidator>();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.PostConfigure<AuthOptions>(o => o.EnableNegotiate ??= embedded);

        services.AddSingleton<ConnectorIdentity>();
        services.AddSingleton<ConnectionIndex>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<InboundCapacity>();
        services.AddSingleton(sp =>
        {
            var connections = sp.GetRequiredService<ConnectionIndex>();
            var capacity = sp.GetRequiredService<InboundCapacity>();
            return new ConnectorMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), () => connections.Count, () => connections.All.Sum(c => c.QueuedBytes), () => capacity.Pending);
        });
        services.AddOptions<RestOptions>().Bind(configuration.GetSection(RestOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<RestOptions>, RestOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger<AccessTokenService>();
            return new AccessTokenService(sp.GetRequiredService<IOptionsMonitor<AuthOptions>>(), sp.GetRequiredService<TimeProvider>(), count => HostingLog.AccessKeysReloaded(log, count));
        });
        services.AddSingleton<ServerRequestPublisher>();
        services.AddSingleton<ExistenceChecks>();
        services.AddSingleton<RestApi>();
        services.AddSingleton<InboundPublisher>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ConnectorOptions>>().Value;
            return new OutboundState(new RoomHistory(options.RoomHistoryMessages, options.RoomHistoryAge, options.RoomHistoryBytes, options.RoomHistoryRooms, sp.GetRequiredService<TimeProvider>()));
        });
        services.AddSingleton<ReconnectionTokens>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ConnectorOptions>>().Value;
            return new PresenceTable(sp.GetRequiredService<ConnectorIdentity>().Id, options.PresenceMaxMembers, options.PresenceMaxMembersPerRoom, options.PresenceExpiry, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<PresenceFeed>();
        services.AddSingleton<ReliableSessions>();
        services.AddSingleton<ResumePlanner>();
        services.AddSingleton<GroupMembership>();
        services.AddSingleton<GroupPermissions>();
        services.AddSingleton<RequestDispatcher>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<ClientConnectionHandler>();
        services.AddSingleton<HttpUpgradeEndpoint>();
        services.AddSingleton<PendingHandshakes>();
        services.AddSingleton<ClientUpgradeMiddleware>();
        services.AddSingleton<DeliveryCommands>();
        services.AddSingleton<DeliveryDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
        services.AddSingleton<PresenceService>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceService>());
        // Prometheus scrape endpoint /metrics: BrokerChat's meters and the runtime's own (GC heap, working set, thread pool).
        // Every tag BrokerChat records has a handful of values, so each stream keeps room for 100 tag combinations
        // rather than the SDK's default 2,000 (which costs about 140 KB per stream whether used or not).
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ConnectorMetrics.MeterName, FunctionsMetrics.MeterName, "System.Runtime")
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = 100 })
            .AddPrometheusExporter());
        services.AddBrokerChatTracing(configuration, ConnectorTelemetry.SourceName, FunctionsTelemetry.SourceName);
        services.AddSingleton<ConnectionHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionHeartbeat>());
        return services;
    }

    /// <summary>
    /// Kestrel settings the connector depends on: a request must complete its upgrade within
    /// <see cref="ConnectorOptions.HandshakeTimeout"/> (headers, and idle keep-alive connections, are cut off after
    /// it), TCP keep-alive on accepted sockets so dead peers are found even without traffic, and a host shutdown
    /// timeout long enough for the connector's own drain.
    /// </summary>
    private static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ConnectorOptions>>((kestrel, connector) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = connector.Value.HandshakeTimeout;
            kestrel.Limits.KeepAliveTimeout = connector.Value.HandshakeTimeout;
            // Every endpoint (from --urls, configuration or code) first offers its connections to the client
            // endpoint's own WebSocket handshake; whatever is not one goes on to HTTP.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            {
                var middleware = listen.ApplicationServices.GetRequiredService<ClientUpgradeMiddleware>();
                return context => middleware.OnConnectionAsync(context, next);
            }));
        });
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ConnectorOptions>>((host, connector) =>
            host.ShutdownTimeout = connector.Value.ShutdownTimeout + connector.Value.CloseTimeout + TimeSpan.FromSeconds(15));
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<ConnectorOptions>>((sockets, connector) =>
            sockets.Backlog = connector.Value.ListenBacklog);
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            if (endpoint is System.Net.IPEndPoint)
            {
                // Accepted sockets inherit these on Linux: probe after 60 s idle, every 10 s, give up after 3.
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime, 60);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval, 10);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount, 3);
            }

            return socket;
        });
    }

    /// <summary>Maps the connector's endpoints.</summary>
    public static void MapConnector(WebApplication app)
    {
        var handler = app.Services.GetRequiredService<HttpUpgradeEndpoint>();
        app.Map("/client/hubs/{hub}", (HttpContext context, string hub) => handler.HandleAsync(context, hub));
        app.Map("/client", (HttpContext context, string? hub) => handler.HandleAsync(context, hub ?? ""));

        if (app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.EnableNegotiate == true)
        {
            app.MapGet("/negotiate", NegotiateEndpoint.Handle);
        }

        if (app.Services.GetRequiredService<IOptions<RestOptions>>().Value.Enabled)
        {
            var rest = app.Services.GetRequiredService<RestApi>();
            app.Map("/api/{**path}", (HttpContext context) => rest.HandleAsync(context));
        }

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", (DeliveryDispatcher dispatcher, FunctionWorkers workers) =>
            IsReady(dispatcher, workers) ? Results.Text("ready") : Results.Text("starting", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/", () => Results.Stream(ChatPage.Open(), "text/html; charset=utf-8"));

        if (app.Services.GetRequiredService<AccessTokenService>().IsEphemeralKey)
        {
            HostingLog.EphemeralKey(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectorApp)));
        }
    }

    /// <summary>Waits until deliveries are being read and every in-process worker owns partitions.</summary>
    public static async Task WaitUntilReadyAsync(WebApplication app, TimeSpan timeout)
    {
        var dispatcher = app.Services.GetRequiredService<DeliveryDispatcher>();
        var workers = app.Services.GetRequiredService<FunctionWorkers>();
        using var cts = new CancellationTokenSource(timeout);
        await dispatcher.Ready.WaitAsync(cts.Token).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!IsReady(dispatcher, workers))
        {
            await timer.WaitForNextTickAsync(cts.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The addresses Kestrel listens on.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static bool IsReady(DeliveryDispatcher dispatcher, FunctionWorkers workers) =>
        dispatcher.Ready.IsCompletedSuccessfully && workers.Workers.All(w => w.AssignedPartitions.Count > 0);
}
