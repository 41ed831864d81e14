using BrokerChat.Functions.Hubs;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// The composition root of the standalone functions process: <c>Functions:InProcessWorkers</c> Kafka workers (at least
/// one) and, when <see cref="FunctionsOptions.HealthUrls"/> is set, a small HTTP listener serving <c>/healthz</c>,
/// <c>/readyz</c> and the Prometheus scrape endpoint <c>/metrics</c>. <c>/readyz</c> runs the health checks tagged
/// <see cref="FunctionWorkersHealthCheck.ReadyTag"/>: <c>ready</c> (200) once every worker is in its consumer group,
/// <c>starting</c> (503) before. The same listener serves the hubs' <c>connect</c> handlers to the connectors
/// (<see cref="EventHandlerEndpoint"/>).
/// </summary>
public static class FunctionsApp
{
    /// <summary>Slack on top of <see cref="FunctionsOptions.DrainTimeout"/> for the host's own shutdown.</summary>
    private static readonly TimeSpan ShutdownSlack = TimeSpan.FromSeconds(15);

    /// <summary>Builds the process from command-line arguments (and the environment).</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configureServices">
    /// The application's services: its hubs (<c>AddBrokerChatHub</c>) and their dependencies. It runs after the
    /// defaults, as in every BrokerChat host, so a registration there replaces a default one.
    /// </param>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var urls = configuration[$"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.HealthUrls)}"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            var builder = Host.CreateApplicationBuilder(args);
            AddWorkers(builder.Services, builder.Configuration);
            configureServices?.Invoke(builder.Services);
            return builder.Build();
        }

        var web = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        web.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        web.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        web.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        web.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        AddWorkers(web.Services, web.Configuration);
        web.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FunctionsMetrics.MeterName, KafkaMetrics.MeterName, "System.Runtime")
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = 100 })
            .AddPrometheusExporter());
        web.Services.AddBrokerChatEventHandler(web.Configuration);
        configureServices?.Invoke(web.Services);
        var app = web.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapBrokerChatEventHandler();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(FunctionWorkersHealthCheck.ReadyTag),
            ResponseWriter = WriteReadiness,
        });
        app.Lifetime.ApplicationStarted.Register(() => FunctionsLog.HealthListening(
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FunctionsApp)),
            string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])));
        return app;
    }

    /// <summary>
    /// The body of <c>/readyz</c>: <c>ready</c>, or <c>starting</c> while a check tagged
    /// <see cref="FunctionWorkersHealthCheck.ReadyTag"/> is unhealthy (the status code is 503 then).
    /// </summary>
    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(report.Status == HealthStatus.Unhealthy ? "starting" : "ready", context.RequestAborted);
    }

    private static void AddWorkers(IServiceCollection services, IConfiguration configuration)
    {
        var workers = Math.Max(1, configuration.GetValue<int?>($"{FunctionsOptions.SectionName}:{nameof(FunctionsOptions.InProcessWorkers)}") ?? 1);
        services.AddBrokerChatFunctions(configuration, workers);
        services.AddBrokerChatTracing(configuration, FunctionsTelemetry.SourceName);
        // Long enough for every worker's drain, so a stopping pod commits what it finished before it leaves the group.
        services.AddOptions<HostOptions>().Configure<IOptions<FunctionsOptions>>((host, functions) =>
            host.ShutdownTimeout = functions.Value.DrainTimeout + ShutdownSlack);
    }
}
