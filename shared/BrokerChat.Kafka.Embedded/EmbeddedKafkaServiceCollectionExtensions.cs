using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerChat.Kafka.Embedded;

/// <summary>Registers the embedded cluster as this process's local Kafka.</summary>
public static class EmbeddedKafkaServiceCollectionExtensions
{
    /// <summary>
    /// Lets <see cref="KafkaClusterHost"/> start an <see cref="EmbeddedKafkaCluster"/> when no
    /// <see cref="KafkaOptions.BootstrapServers"/> are configured. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddBrokerChatEmbeddedKafka(this IServiceCollection services)
    {
        services.TryAddSingleton<LocalKafkaClusterFactory>(_ => brokers => new EmbeddedKafkaCluster(brokers));
        return services;
    }
}
