using BrokerChat.Functions.Hosting;
using BrokerChat.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions;

/// <summary>Registers the worker functions.</summary>
public static class FunctionsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the chat function and <paramref name="workers"/> Kafka workers (consumer group members) to the host,
    /// with <see cref="FunctionsOptions"/> validated at startup. The Kafka plumbing is added too.
    /// </summary>
    public static IServiceCollection AddBrokerChatFunctions(this IServiceCollection services, IConfiguration configuration, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        services.AddBrokerChatKafka(configuration);
        services.AddOptions<FunctionsOptions>()
            .Bind(configuration.GetSection(FunctionsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionsMetrics>();
        services.TryAddSingleton<FrameValidator>();
        services.TryAddSingleton<ChatFunction>();
        services.TryAddSingleton(sp => new FunctionWorkers(Enumerable.Range(0, workers).Select(index => new KafkaFunctionWorker(
            index,
            sp.GetRequiredService<ChatFunction>(),
            sp.GetRequiredService<KafkaClientFactory>(),
            sp.GetRequiredService<KafkaProducerHost>(),
            sp.GetRequiredService<KafkaEndpoint>(),
            sp.GetRequiredService<IOptions<FunctionsOptions>>(),
            sp.GetRequiredService<FunctionsMetrics>(),
            sp.GetRequiredService<ILogger<KafkaFunctionWorker>>())).ToArray()));
        services.AddHostedService(sp => sp.GetRequiredService<FunctionWorkers>());
        return services;
    }
}
