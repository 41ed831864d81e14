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
using BrokerChat.Connector.Upstream;
using BrokerChat.History;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BrokerChat.Connector.Hosting;

/// <summary>Registers the connector's services.</summary>
public static class ConnectorServiceCollectionExtensions
{
    /// <summary>Registers the connector's services.</summary>
    public static IServiceCollection AddBrokerChatConnector(this IServiceCollection services, IConfiguration configuration)
    {
        // Kafka first: its cluster host must start before, and stop after, everything that uses Kafka.
        services.AddBrokerChatKafka(configuration);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        var embedded = KafkaOptions.IsEmbeddedIn(configuration);

        services.AddOptions<ConnectorOptions>().Bind(configuration.GetSection(ConnectorOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConnectorOptions>, ConnectorOptionsValidator>();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.PostConfigure<AuthOptions>(o => o.EnableNegotiate ??= embedded);

        services.AddSingleton<ConnectorIdentity>();
        services.AddSingleton<ConnectionIndex>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<InboundCapacity>();
        services.AddSingleton(sp => new AwaitedOutcomes(sp.GetRequiredService<IOptions<ConnectorOptions>>().Value.MaxAwaitedOutcomes));
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
        services.AddSingleton<PermissionGrants>();
        services.AddSingleton<HolderQueries>();
        services.AddSingleton<RestHistory>();
        services.AddSingleton<RestApi>();
        services.AddSingleton<InboundPublisher>();
        services.AddSingleton<ConnectionEvents>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ConnectorOptions>>().Value;
            return new OutboundState(
                new RoomHistory(options.RoomHistoryMessages, options.RoomHistoryAge, options.RoomHistoryBytes, options.RoomHistoryRooms, sp.GetRequiredService<TimeProvider>()),
                new TargetPositions(options.RoomHistoryRooms));
        });
        services.AddBrokerChatHistoryStore(configuration);
        services.AddSingleton<StoredHistory>();
        services.AddSingleton<HistoryRequests>();
        services.AddSingleton<ChangeRequests>();
        services.AddSingleton<ReconnectionTokens>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ConnectorOptions>>().Value;
            return new PresenceTable(sp.GetRequiredService<ConnectorIdentity>().Id, options.PresenceMaxMembers, options.PresenceMaxMembersPerRoom, options.PresenceExpiry, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<PresenceFeed>();
        services.AddSingleton<ReliableSessions>();
        services.AddSingleton<EndedSessions>();
        services.AddSingleton<ResumePlanner>();
        services.AddSingleton<GroupMembership>();
        services.AddSingleton<GroupPermissions>();
        services.AddSingleton<RequestDispatcher>();
        services.AddBrokerChatUpstream(configuration);
        services.AddSingleton<ConnectHandlers>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<ClientConnectionHandler>();
        services.AddSingleton<HttpUpgradeEndpoint>();
        services.AddSingleton<PendingHandshakes>();
        services.AddSingleton<ClientUpgradeMiddleware>();
        services.AddSingleton<DeliveryCommands>();
        services.AddSingleton<DeliveryDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
        services.AddSingleton<KafkaLink>();
        services.AddHealthChecks()
            .AddCheck<OutboundReadyHealthCheck>(OutboundReadyHealthCheck.Name, tags: [ConnectorHealth.ReadyTag])
            .AddCheck<KafkaLinkHealthCheck>(KafkaLinkHealthCheck.Name, tags: [ConnectorHealth.ReadyTag]);
        services.AddSingleton<PresenceService>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceService>());
        // Prometheus scrape endpoint /metrics: BrokerChat's meters and the runtime's own (GC heap, working set, thread pool).
        // Every tag BrokerChat records has a handful of values, so each stream keeps room for 100 tag combinations
        // rather than the SDK's default 2,000 (which costs about 140 KB per stream whether used or not).
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ConnectorMetrics.MeterName, KafkaMetrics.MeterName, "System.Runtime")
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = 100 })
            .AddPrometheusExporter());
        services.AddBrokerChatTracing(configuration, ConnectorTelemetry.SourceName);
        services.AddSingleton<ConnectionHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionHeartbeat>());
        return services;
    }
}
