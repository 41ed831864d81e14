using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Protocol;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Kafka;

/// <summary>
/// Consumes every partition of the outbound topic (every connector sees every delivery) and fans each delivery
/// out to the local members of its target, encoding it once and queueing the same bytes for every recipient. It
/// also answers the acks addressed to connections held here.
/// </summary>
/// <remarks>
/// It reads without a consumer group, from the end of each partition as it stood at startup; the connector is
/// ready once those positions are taken, so nothing produced after readiness is missed.
/// </remarks>
internal sealed class DeliveryDispatcher(
    KafkaClientFactory factory,
    KafkaProducerHost producerHost,
    KafkaEndpoint endpoint,
    ConnectionIndex connections,
    ConnectorIdentity identity,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
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
            .SetErrorHandler((_, error) => ConnectorLog.ConsumerError(logger, error.Reason, error.Code))
            .Build();
        consumer.Assign(StartPositions(consumer, topic));
        _ready.TrySetResult();
        ConnectorLog.DispatcherStarted(logger, identity.Id, topic);
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
                    ConnectorLog.ConsumerError(logger, ex.Error.Reason, ex.Error.Code);
                    continue;
                }

                if (result?.Message?.Value is { } value)
                {
                    Dispatch(value, result.Partition.Value, result.Offset.Value);
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    private List<TopicPartitionOffset> StartPositions(IConsumer<byte[], byte[]> consumer, string topic)
    {
        using var admin = new DependentAdminClientBuilder(producerHost.Producer.Handle).Build();
        var metadata = admin.GetMetadata(topic, MetadataTimeout);
        var partitions = metadata.Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).Order().ToList();
        if (partitions.Count == 0)
        {
            throw new InvalidOperationException($"Topic {topic} has no partitions.");
        }

        return partitions
            .Select(p =>
            {
                var tp = new TopicPartition(topic, p);
                var high = consumer.QueryWatermarkOffsets(tp, MetadataTimeout).High;
                return new TopicPartitionOffset(tp, high);
            })
            .ToList();
    }

    /// <summary>Fans one delivery out; public to the assembly so the fan-out can be exercised without Kafka.</summary>
    internal void Dispatch(byte[] value, int partition, long offset)
    {
        Delivery delivery;
        try
        {
            delivery = ContractSerializer.DeserializeDelivery(value);
        }
        catch (ContractException ex)
        {
            ConnectorLog.BadDelivery(logger, partition, offset, ex.Message);
            return;
        }

        if (delivery.HasMessage)
        {
            FanOut(delivery, partition, offset);
        }

        if (delivery.Ack is { } ack && (delivery.AckConnectorId is null || delivery.AckConnectorId == identity.Id)
            && connections.TryGet(ack.ConnectionId, out var sender) && sender.TryCompleteAck(ack.AckId))
        {
            if (ack.Success)
            {
                sender.RecordSucceeded(ack.AckId);
            }

            sender.TryEnqueue(JsonFrameWriter.Ack(ack));
        }
    }

    private void FanOut(Delivery delivery, int partition, long offset)
    {
        var recipients = delivery.Target switch
        {
            DeliveryTarget.Group when delivery.Group is { } group => connections.GroupMembers(delivery.Hub, group),
            DeliveryTarget.User when delivery.UserId is { } user => connections.UserConnections(delivery.Hub, user),
            DeliveryTarget.Connection when delivery.ConnectionId is { } id => connections.TryGet(id, out var one) ? [one] : [],
            DeliveryTarget.All => connections.HubConnections(delivery.Hub),
            _ => [],
        };

        byte[]? frame = null;
        foreach (var recipient in recipients)
        {
            if (recipient.Id == delivery.ExcludedConnectionId)
            {
                continue;
            }

            if (recipient.IsSimple)
            {
                // Simple clients get the payload itself, shared by all of them: text and JSON as text, binary as binary.
                recipient.TryEnqueueRaw(delivery.Payload, delivery.DataType == DataType.Binary);
                continue;
            }

            if (frame is null)
            {
                try
                {
                    // Encoded once, on the first recipient; every other recipient gets the same bytes.
                    frame = JsonFrameWriter.Message(delivery);
                }
                catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    ConnectorLog.BadDelivery(logger, partition, offset, ex.Message);
                    return;
                }
            }

            recipient.TryEnqueue(frame);
        }
    }
}
