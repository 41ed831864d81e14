using BrokerChat.Kafka.Embedded;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Kafka;

/// <summary>
/// Makes the cluster ready before anything uses it: with no bootstrap servers it starts the embedded cluster and
/// creates the topics through the cluster's own call; otherwise it creates missing topics with the AdminClient.
/// </summary>
/// <remarks>
/// Register it before every other hosted service: hosts stop services in reverse order, so it stops last and
/// destroys the embedded cluster only after every client of this process has closed.
/// </remarks>
public sealed class KafkaClusterHost(KafkaEndpoint endpoint, IOptions<KafkaOptions> options, ILogger<KafkaClusterHost> logger) : IHostedService, IDisposable
{
    private readonly KafkaOptions _options = options.Value;
    private EmbeddedKafkaCluster? _embedded;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.IsEmbedded)
        {
            _embedded = new EmbeddedKafkaCluster(_options.EmbeddedBrokers);
            foreach (var topic in endpoint.Topics.All)
            {
                _embedded.CreateTopic(topic, _options.Partitions);
            }

            KafkaLog.EmbeddedStarted(logger, _options.EmbeddedBrokers, string.Join(", ", endpoint.Topics.All), _options.Partitions);
            KafkaLog.BootstrapServers(logger, LogLevel.Information, _embedded.BootstrapServers);
            endpoint.SetReady(_embedded.BootstrapServers, _embedded);
            return;
        }

        if (_options.CreateTopics)
        {
            await CreateMissingTopicsAsync(cancellationToken).ConfigureAwait(false);
        }

        KafkaLog.BootstrapServers(logger, LogLevel.Information, _options.BootstrapServers);
        endpoint.SetReady(_options.BootstrapServers, null);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_embedded is { } embedded)
        {
            _embedded = null;
            embedded.Dispose();
            KafkaLog.EmbeddedStopped(logger);
        }
    }

    private async Task CreateMissingTopicsAsync(CancellationToken cancellationToken)
    {
        var config = new AdminClientConfig { BootstrapServers = _options.BootstrapServers };
        foreach (var (key, value) in _options.ClientSettings)
        {
            config.Set(key, value);
        }

        using var admin = new AdminClientBuilder(config).Build();
        foreach (var topic in endpoint.Topics.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await admin.CreateTopicsAsync(
                    [new TopicSpecification { Name = topic, NumPartitions = _options.Partitions, ReplicationFactor = _options.ReplicationFactor }],
                    new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
                KafkaLog.TopicCreated(logger, topic, _options.Partitions);
            }
            catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
            {
                // Already there: nothing to do. Its partition count is whatever it was created with.
            }
        }
    }
}
