using System.Diagnostics.Metrics;
using BrokerChat.Contracts.Topics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrokerChat.Kafka;

/// <summary>Registers the Kafka plumbing.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="KafkaOptions"/> (validated at startup), the cluster host (first, so it stops last), the
    /// client factory and the shared producer. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddBrokerChatKafka(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(KafkaEndpoint)))
        {
            return services;
        }

        services.AddOptions<KafkaOptions>()
            .Bind(configuration.GetSection(KafkaOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(sp => new KafkaEndpoint(new KafkaTopics(sp.GetRequiredService<IOptions<KafkaOptions>>().Value.TopicPrefix)));
        services.TryAddSingleton<KafkaClientFactory>();
        services.TryAddSingleton<RetentionReaders>();
        services.TryAddSingleton(sp => new KafkaMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<KafkaClusterHost>();
        services.TryAddSingleton<KafkaProducerHost>();
        services.AddHostedService(sp => sp.GetRequiredService<KafkaClusterHost>());
        services.AddHostedService(sp => sp.GetRequiredService<KafkaProducerHost>());
        return services;
    }
}
