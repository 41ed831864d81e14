using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Connector.Rest;
using BrokerChat.Connector.Sessions;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Outbound;

/// <summary>
/// Consumes every partition of the outbound topic (every connector sees every delivery) and fans each delivery
/// out to the local members of its target, encoding it once per protocol and queueing the same bytes for every
/// recipient. Group messages are kept in the rooms' histories (for sessions resumed here and history on join) and
/// dropped when they repeat a message id already held (a request the functions processed twice). Presence records
/// go to the presence table (<see cref="PresenceFeed"/>). It also answers the acks addressed to connections held here,
/// and carries out the REST API's commands (group changes, closes, existence and permission queries) for the connections held here.
/// </summary>
/// <remarks>
/// It reads without a consumer group, from the end of each partition as it stood at startup; the connector is
/// ready once those positions are taken, so nothing produced after readiness is missed. Before that it reads back the
/// recent records below those positions into the rooms' histories (<see cref="HistoryWarmup"/>).
/// </remarks>
internal sealed partial class DeliveryDispatcher(
    KafkaClientFactory factory,
    KafkaProducerHost producerHost,
    KafkaEndpoint endpoint,
    ConnectionIndex connections,
    ConnectorIdentity identity,
    OutboundState outbound,
    ReliableSessions sessions,
    DeliveryCommands commands,
    ConnectorMetrics metrics,
    PresenceFeed presence,
    HolderQueries queries,
    RetentionReaders readers,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    private readonly List<(int Partition, long Offset, TaskCompletionSource<bool> Reached)> _waiters = [];
    private volatile IConsumer<byte[], byte[]>? _consumer;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the consumer holds its start positions on every outbound partition.</summary>
    public Task Ready => _ready.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await endpoint.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
            await Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    private void Run(CancellationToken stoppingToken)
    {
        var topic = factory.Topics.Outbound;
        var config = factory.ConsumerConfig($"brokerchat-connector-{identity.Id}", $"brokerchat-connector-{identity.Id}", c =>
        {
            c.EnableAutoCommit = false;
            c.EnableAutoOffsetStore = false;
        });
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => factory.Log(message))
            .SetErrorHandler((_, error) => OutboundLog.ConsumerError(logger, error.Reason, error.Code))
            .Build();
        var (low, high) = Watermarks(consumer, topic);
        var (coveredFrom, warmed) = HistoryWarmup.Read(consumer, topic, low, high, options.Value.RoomHistoryWarmupRecords, options.Value.RoomHistoryAge, clock, logger);
        outbound.Start(high, coveredFrom, warmed);
        // The embedded cluster keeps what this connector has not fanned out yet (the positions only grow, so reading
        // one outside the gate is safe: at worst it is a record behind).
        using var reading = readers.AddReader(topic, p => p < outbound.PartitionCount ? Volatile.Read(ref outbound.Next[p]) : -1);
        consumer.Assign(high.Select((offset, p) => new TopicPartitionOffset(topic, p, offset)).ToList());
        _consumer = consumer;
        _ready.TrySetResult();
        OutboundLog.DispatcherStarted(logger, identity.Id, topic);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(PollInterval);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    OutboundLog.ConsumerError(logger, ex.Error.Reason, ex.Error.Code);
                    continue;
                }

                if (result?.Message?.Value is { } value)
                {
                    Dispatch(value, result.Partition.Value, result.Offset.Value, result.Message.Headers);
                }
            }
        }
        finally
        {
            _consumer = null;
            consumer.Close();
        }
    }

    /// <summary>
    /// Waits until everything in <paramref name="partition"/> that is in Kafka now has been fanned out here; false when
    /// that takes longer than <paramref name="timeout"/>. A session resumed from a token needs this: its client may
    /// have been sent records of that partition this connector has not read yet.
    /// </summary>
    public async Task<bool> WaitCaughtUpAsync(int partition, TimeSpan timeout)
    {
        if (_consumer is not { } consumer)
        {
            return false;
        }

        long high;
        try
        {
            high = await Task.Run(() => consumer.QueryWatermarkOffsets(new TopicPartition(factory.Topics.Outbound, partition), timeout).High.Value).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KafkaException or ObjectDisposedException)
        {
            return false;
        }

        Task<bool> reached;
        lock (outbound.Gate)
        {
            if (partition >= outbound.Next.Length || outbound.Next[partition] >= high)
            {
                return true;
            }

            var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((partition, high, waiter));
            reached = waiter.Task;
        }

        try
        {
            return await reached.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (outbound.Gate)
            {
                _waiters.RemoveAll(w => w.Reached.Task == reached);
            }

            return false;
        }
    }

    /// <summary>The low and high watermarks of every partition: where reading back starts at the earliest, and where reading starts.</summary>
    private (long[] Low, long[] High) Watermarks(IConsumer<byte[], byte[]> consumer, string topic)
    {
        using var admin = new DependentAdminClientBuilder(producerHost.Producer.Handle).Build();
        var metadata = admin.GetMetadata(topic, MetadataTimeout);
        var partitions = metadata.Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).Order().ToList();
        if (partitions.Count == 0)
        {
            throw new InvalidOperationException($"Topic {topic} has no partitions.");
        }

        var low = new long[partitions.Count];
        var high = new long[partitions.Count];
        foreach (var p in partitions)
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), MetadataTimeout);
            (low[p], high[p]) = (watermarks.Low.Value, watermarks.High.Value);
        }

        return (low, high);
    }
}
