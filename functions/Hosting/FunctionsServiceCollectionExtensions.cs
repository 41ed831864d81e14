using BrokerChat.Functions.Chat;
using BrokerChat.Functions.History;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Hosting.Kafka;
using BrokerChat.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Hosting;

/// <summary>Registers the worker functions.</summary>
public static class FunctionsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the chat function and <paramref name="workers"/> Kafka workers (consumer group members) to the host,
    /// with <see cref="FunctionsOptions"/> validated at startup, the history function (when history is on), and their readiness as the health check
    /// <see cref="FunctionWorkersHealthCheck"/> tagged <see cref="FunctionWorkersHealthCheck.ReadyTag"/>. The Kafka
    /// plumbing is added too.
    /// </summary>
    public static IServiceCollection AddBrokerChatFunctions(this IServiceCollection services, IConfiguration configuration, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        services.AddBrokerChatKafka(configuration);
        services.AddBrokerChatFunction(configuration);
        services.AddBrokerChatHubRuntime(configuration);
        services.TryAddSingleton(sp =>
        {
            // The group reads the inbound topic wherever its members run (here, or in processes joined to this one's
            // embedded cluster): until a member here reports a partition's position, the embedded cluster keeps it
            // whole (up to Kafka:EmbeddedRetentionMaxRecords).
            sp.GetRequiredService<RetentionReaders>().AddGroup(sp.GetRequiredService<IOptions<FunctionsOptions>>().Value.GroupId, sp.GetRequiredService<KafkaEndpoint>().Topics.Inbound);
            return new FunctionWorkers(Enumerable.Range(0, workers)
                .Select(index => ActivatorUtilities.CreateInstance<KafkaFunctionWorker>(sp, index))
                .ToArray());
        });
        services.AddHostedService(sp => sp.GetRequiredService<FunctionWorkers>());
        if (workers > 0)
        {
            // The history function runs wherever workers run: it reads the outbound topic in a group of its own.
            services.AddBrokerChatHistoryFunction(configuration);
        }

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
}
