using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting.Kafka;
using BrokerChat.Functions.Moderation;
using BrokerChat.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Hosting;

/// <summary>Registers the worker functions.</summary>
public static class FunctionsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the chat function and <paramref name="workers"/> Kafka workers (consumer group members) to the host,
    /// with <see cref="FunctionsOptions"/> validated at startup, and their readiness as the health check
    /// <see cref="FunctionWorkersHealthCheck"/> tagged <see cref="FunctionWorkersHealthCheck.ReadyTag"/>. The Kafka
    /// plumbing is added too.
    /// </summary>
    public static IServiceCollection AddBrokerChatFunctions(this IServiceCollection services, IConfiguration configuration, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        services.AddBrokerChatKafka(configuration);
        services.AddBrokerChatFunction(configuration);
        services.TryAddSingleton<IRequestHandler, ChatFunctionHandler>();
        services.TryAddSingleton(sp => new FunctionWorkers(Enumerable.Range(0, workers)
            .Select(index => ActivatorUtilities.CreateInstance<KafkaFunctionWorker>(sp, index))
            .ToArray()));
        services.AddHostedService(sp => sp.GetRequiredService<FunctionWorkers>());
        if (!services.Any(d => d.ServiceType == typeof(FunctionWorkersHealthCheck)))
        {
            services.AddSingleton<FunctionWorkersHealthCheck>();
            services.AddHealthChecks().Add(new HealthCheckRegistration(
                FunctionWorkersHealthCheck.Name,
                sp => sp.GetRequiredService<FunctionWorkersHealthCheck>(),
                failureStatus: HealthStatus.Unhealthy,
                tags: [FunctionWorkersHealthCheck.ReadyTag]));
        }

        return services;
    }

    /// <summary>
    /// Adds <see cref="ChatFunction"/> alone, for any host (the Kafka workers, the Azure Functions custom handler):
    /// <see cref="FunctionsOptions"/> and <see cref="ModerationOptions"/> validated at startup, the frame validator,
    /// the moderation rules (with any <see cref="IMessageRule"/> the application registers) and the metrics.
    /// </summary>
    public static IServiceCollection AddBrokerChatFunction(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FunctionsOptions>()
            .Bind(configuration.GetSection(FunctionsOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.DrainTimeout > TimeSpan.Zero, "Functions:DrainTimeout must be positive.")
            .Validate(o => o.RetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.RetryDelay, "Functions:RetryDelay must be positive and at most Functions:MaxRetryDelay.")
            .Validate(o => o.MaxInFlightPerPartition <= o.MaxInFlight, "Functions:MaxInFlightPerPartition must be at most Functions:MaxInFlight.")
            .ValidateOnStart();
        services.AddOptions<ModerationOptions>()
            .Bind(configuration.GetSection(ModerationOptions.SectionName))
            .Configure(options => configuration.GetSection(ModerationOptions.HubsSectionName).Bind(options.Hubs))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModerationOptions>, ModerationOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionsMetrics>();
        services.TryAddSingleton<ModerationMetrics>();
        services.TryAddSingleton<FrameValidator>();
        services.TryAddSingleton<MessageModeration>();
        services.TryAddSingleton<ChatFunction>();
        return services;
    }
}
