using BrokerChat.Connector.Hosting;
using BrokerChat.Functions;
using BrokerChat.Functions.Hosting;
using BrokerChat.History;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// The parts of a local run that a production connector does without: the embedded Kafka (started when no
/// <c>Kafka:BootstrapServers</c> is configured) and the function workers in this process
/// (<c>Functions:InProcessWorkers</c>, 2 by default with the embedded Kafka, else 0). Compiled only into a
/// local-run build of the connector (<c>BrokerChatLocalRun</c>, the default; the container image builds without).
/// </summary>
public static class LocalRunServiceCollectionExtensions
{
    /// <summary>Registers the embedded Kafka and the in-process workers, with the workers' readiness check.</summary>
    public static IServiceCollection AddBrokerChatLocalRun(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var embedded = KafkaOptions.IsEmbeddedIn(configuration);
        if (embedded)
        {
            services.AddBrokerChatEmbeddedKafka();
        }

        // Kafka is registered first, by the functions: its cluster host must start before, and stop after, everything that uses Kafka.
        var workers = configuration.GetValue<int?>($"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.InProcessWorkers)}") ?? (embedded ? 2 : 0);
        services.AddBrokerChatFunctions(configuration, workers);
        // Room history is on by default with the embedded Kafka, in an SQLite file of the data folder, so it outlives restarts.
        var dataDirectory = DataDirectory(configuration);
        services.PostConfigure<HistoryOptions>(history =>
        {
            history.Enabled = configuration.GetValue<bool?>($"{HistoryOptions.SectionName}:{nameof(HistoryOptions.Enabled)}") ?? embedded;
            if (string.IsNullOrWhiteSpace(history.ConnectionString) && history.Provider == HistoryProvider.Sqlite)
            {
                history.ConnectionString = $"Data Source={Path.Combine(dataDirectory, "history.db")}";
            }
        });
        services.AddHealthChecks().AddCheck<InProcessWorkersHealthCheck>(InProcessWorkersHealthCheck.Name, tags: [ConnectorHealth.ReadyTag]);
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(FunctionsMetrics.MeterName));
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(FunctionsTelemetry.SourceName));
        return services;
    }

    /// <summary>
    /// <c>LocalRun:DataPath</c>: where a local run keeps what must outlive it (its access key, its development certificate
    /// and the room history's SQLite file); the default is <see cref="LocalRunOptions.DefaultDataPath"/>.
    /// </summary>
    public static string DataDirectory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Path.GetFullPath(configuration[$"LocalRun:{nameof(LocalRunOptions.DataPath)}"] is { Length: > 0 } configured ? configured : LocalRunOptions.DefaultDataPath);
    }
}
