using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>The embedded cluster keeps its partitions short, as retention would, so every fetch stays cheap.</summary>
public sealed class EmbeddedRetentionTests
{
    [Fact(Timeout = 60_000)]
    public async Task EmbeddedClusterDropsRecordsBeyondTheRetainedCountAndKeepsTheNewest()
    {
        var ct = TestContext.Current.CancellationToken;
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddBrokerChatKafka(new HostSettings { Kafka = { EmbeddedRetainedRecords = 100, Partitions = 2 } }.BuildConfiguration())
            .AddBrokerChatEmbeddedKafka();
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(ct);
        }

        try
        {
            var endpoint = provider.GetRequiredService<KafkaEndpoint>();
            var factory = provider.GetRequiredService<KafkaClientFactory>();
            var partition = new TopicPartition(endpoint.Topics.Inbound, 1);
            using (var producer = new ProducerBuilder<Null, string>(factory.ProducerConfig("retention-test")).Build())
            {
                for (var i = 0; i < 1_000; i++)
                {
                    producer.Produce(partition, new Message<Null, string> { Value = "m" + i });
                }

                producer.Flush(ct);
            }

            using var consumer = new ConsumerBuilder<Ignore, string>(factory.ConsumerConfig("retention-test", "retention-test")).Build();
            WatermarkOffsets offsets = new(0, 0);
            await Wait.UntilAsync(() =>
            {
                offsets = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5));
                return offsets.Low.Value > 0;
            }, ct);

            Assert.Equal(1_000, offsets.High.Value);
            Assert.InRange(offsets.High.Value - offsets.Low.Value, 1, 110);
            consumer.Assign(new TopicPartitionOffset(partition, offsets.Low));
            var first = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.Equal("m" + offsets.Low.Value, first?.Message.Value);
            var untouched = consumer.QueryWatermarkOffsets(new TopicPartition(endpoint.Topics.Inbound, 0), TimeSpan.FromSeconds(5));
            Assert.Equal(0, untouched.High.Value);
        }
        finally
        {
            foreach (var service in Enumerable.Reverse(hosted))
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }
}
