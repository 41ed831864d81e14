using BrokerChat.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Contracts.Tests.Kafka;

public sealed class KafkaClusterHostTests
{
    [Fact]
    public async Task AProcessWithNoBootstrapServersAndNoEmbeddedKafkaRefusesToStartAndSaysWhatToSet()
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddBrokerChatKafka(new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(
            () => provider.GetRequiredService<KafkaClusterHost>().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Kafka:BootstrapServers", failure.Message, StringComparison.Ordinal);
        Assert.False(provider.GetRequiredService<KafkaEndpoint>().Ready.IsCompleted);
    }
}
