using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Kafka;

/// <summary>
/// Makes the cluster ready before anything uses it: with no bootstrap servers it starts the local (embedded) cluster, when the process has one (<see cref="LocalKafkaClusterFactory"/>), and
/// creates the topics through the cluster's own call; otherwise it creates missing topics with the AdminClient.
/// </summary>
/// <remarks>
/// Register it before every other hosted service: hosts stop services in reverse order, so it stops last and
/// destroys the embedded cluster only after every client of this process has closed.
/// </remarks>
public sealed class KafkaClusterHost(
    KafkaEndpoint endpoint,
    KafkaClientFactory factory,
    RetentionReaders readers,
    KafkaMetrics metrics,
    IOptions<KafkaOptions> options,
    ILogger<KafkaClusterHost> logger,
    LocalKafkaClusterFactory? localCluster = null,
    TimeProvider? clock = null) : IHostedService, IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);
    private readonly KafkaOptions _options = options.Value;
    private ILocalKafkaCluster? _embedded;
    private CancellationTokenSource? _retention;
    private Task _retentionLoop = Task.CompletedTask;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.IsEmbedded)
        {
            if (localCluster is null)
            {
                throw new InvalidOperationException(
                    "Kafka:BootstrapServers is not set, and this process has no embedded Kafka to run instead. Set Kafka:BootstrapServers to the cluster's brokers.");
            }

            _embedded = localCluster(_options.EmbeddedBrokers);
            foreach (var topic in endpoint.Topics.All)
            {
                _embedded.CreateTopic(topic, _options.Partitions);
            }

            KafkaLog.EmbeddedStarted(logger, _options.EmbeddedBrokers, string.Join(", ", endpoint.Topics.All), _options.Partitions);
            KafkaLog.BootstrapServers(logger, LogLevel.Information, _embedded.BootstrapServers);
            endpoint.SetReady(_embedded.BootstrapServers, _embedded);
            if (_options.EmbeddedRetainedRecords > 0)
            {
                _retention = new CancellationTokenSource();
                var retention = new EmbeddedRetention(_embedded, endpoint, factory, readers, metrics, clock ?? TimeProvider.System, logger);
                var token = _retention.Token;
                _retentionLoop = Task.Run(() => retention.RunAsync(token), CancellationToken.None);
            }

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
        if (_retention is { } retention)
        {
            _retention = null;
            retention.Cancel();
            _retentionLoop.Wait(TimeSpan.FromSeconds(10));
            retention.Dispose();
        }

        if (_embedded is { } embedded)
        {
            _embedded = null;
            embedded.Dispose();
            KafkaLog.EmbeddedStopped(logger);
        }
    }

    private async Task CreateMissingTopicsAsync(CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(factory.AdminConfig(_options.BootstrapServers))
            .SetLogHandler((_, message) => factory.Log(message))
            .Build();

        // Listing every topic never auto-creates one, and works where the topic admin API does not (another
        // process's embedded cluster, clusters where this identity may not create topics).
        var existing = admin.GetMetadata(MetadataTimeout).Topics.Where(t => !t.Error.IsError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        var missing = endpoint.Topics.All.Where(t => !existing.Contains(t)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        try
        {
            await admin.CreateTopicsAsync(
                missing.Select(t => new TopicSpecification { Name = t, NumPartitions = _options.Partitions, ReplicationFactor = _options.ReplicationFactor }),
                new CreateTopicsOptions { RequestTimeout = MetadataTimeout }).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var topic in missing)
            {
                KafkaLog.TopicCreated(logger, topic, _options.Partitions);
            }
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // Created meanwhile by another process: nothing to do.
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException(
                $"Topics {string.Join(", ", missing)} do not exist and could not be created ({ex.Error.Reason}). Create them with {_options.Partitions} partitions, or set Kafka:CreateTopics=false once they exist.", ex);
        }
    }
}
