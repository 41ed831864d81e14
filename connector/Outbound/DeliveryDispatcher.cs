using System.Diagnostics;
using System.Net.WebSockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Connector.Rest;
using BrokerChat.Connector.Sessions;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
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
/// and carries out the REST API's commands (group changes, closes, existence checks) for the connections held here.
/// </summary>
/// <remarks>
/// It reads without a consumer group, from the end of each partition as it stood at startup; the connector is
/// ready once those positions are taken, so nothing produced after readiness is missed. Before that it reads back the
/// recent records below those positions into the rooms' histories (<see cref="HistoryWarmup"/>).
/// </remarks>
internal sealed class DeliveryDispatcher(
    KafkaClientFactory factory,
    KafkaProducerHost producerHost,
    KafkaEndpoint endpoint,
    ConnectionIndex connections,
    ConnectorIdentity identity,
    OutboundState outbound,
    ReliableSessions sessions,
    GroupMembership membership,
    ConnectorMetrics metrics,
    PresenceFeed presence,
    ExistenceChecks existence,
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

    /// <summary>Fans one delivery out; public to the assembly so the fan-out can be exercised without Kafka.</summary>
    internal void Dispatch(byte[] value, int partition, long offset, Headers? headers = null)
    {
        Delivery delivery;
        try
        {
            delivery = ContractSerializer.DeserializeDelivery(value);
        }
        catch (ContractException ex)
        {
            OutboundLog.BadDelivery(logger, partition, offset, ex.Message);
            return;
        }

        using var activity = ConnectorTelemetry.Source.HasListeners()
            ? StartDeliverActivity(delivery, partition, offset, headers)
            : null;

        lock (outbound.Gate)
        {
            if (delivery.HasMessage)
            {
                FanOut(delivery, partition, offset, value.Length);
            }
            else if (delivery is { Target: DeliveryTarget.Presence, Presence: not null })
            {
                presence.Apply(delivery, partition);
            }
            else if (delivery.Command is DeliveryCommand.ExistsQuery or DeliveryCommand.ExistsReply)
            {
                existence.OnDelivery(delivery);
            }
            else if (delivery.Command != DeliveryCommand.None)
            {
                Apply(delivery, partition, offset);
            }

            if (partition < outbound.Next.Length)
            {
                outbound.Next[partition] = offset + 1;
                if (_waiters.Count > 0)
                {
                    _waiters.RemoveAll(w =>
                    {
                        var done = w.Partition == partition && offset + 1 >= w.Offset;
                        if (done)
                        {
                            w.Reached.TrySetResult(true);
                        }

                        return done;
                    });
                }
            }
        }

        if (delivery.Ack is { } ack && (delivery.AckConnectorId is null || delivery.AckConnectorId == identity.Id)
            && connections.TryGet(ack.ConnectionId, out var sender) && sender.TryCompleteAck(ack.AckId))
        {
            if (ack.Success)
            {
                sender.RecordSucceeded(ack.AckId);
            }

            if (!sender.IsSimple)
            {
                sender.TryEnqueue(sender.Writer.Ack(ack));
            }
        }
    }

    private Activity? StartDeliverActivity(Delivery delivery, int partition, long offset, Headers? headers)
    {
        var activity = ConnectorTelemetry.Source.StartActivity(
            "brokerchat.outbound deliver", ActivityKind.Consumer, KafkaTraceContext.Extract(headers, delivery.TraceParent));
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", factory.Topics.Outbound);
            activity.SetTag("messaging.destination.partition.id", partition);
            activity.SetTag("messaging.kafka.offset", offset);
            activity.SetTag("brokerchat.hub", delivery.Hub);
            activity.SetTag("brokerchat.target", delivery.Target.ToString());
            activity.SetTag("brokerchat.group", delivery.Group);
        }

        return activity;
    }

    /// <summary>Carries out a REST command (join, leave, close) for the target's connections held here. Under the outbound gate.</summary>
    private void Apply(Delivery delivery, int partition, long offset)
    {
        var filter = Recipients.FilterOf(delivery, out var invalid);
        if (invalid is not null)
        {
            OutboundLog.BadDeliveryFilter(logger, partition, offset, invalid);
            return;
        }

        foreach (var connection in Targets(delivery))
        {
            if (!Recipients.Accepts(delivery, connection, filter))
            {
                continue;
            }

            switch (delivery.Command)
            {
                case DeliveryCommand.AddToGroup when delivery.Group is { } group:
                    // Granted by the application's backend: no join permission, and no per-connection group bound.
                    membership.Join(connection, group, int.MaxValue);
                    break;
                case DeliveryCommand.RemoveFromGroup:
                    foreach (var group in delivery.Group is { } one ? [one] : connection.HasGroups ? connection.Groups.ToArray() : [])
                    {
                        membership.Leave(connection, group);
                    }

                    break;
                case DeliveryCommand.Close:
                    connection.Close(WebSocketCloseStatus.NormalClosure, delivery.Reason ?? "Closed by the server.", kind: "rest");
                    break;
            }
        }
    }

    /// <summary>The connections held here that a delivery's target names.</summary>
    private ClientConnection[] Targets(Delivery delivery) => delivery.Target switch
    {
        DeliveryTarget.Group when delivery.Command is DeliveryCommand.None or DeliveryCommand.Close && delivery.Group is { } group => connections.GroupMembers(delivery.Hub, group),
        DeliveryTarget.User when delivery.UserId is { } user => connections.UserConnections(delivery.Hub, user),
        // Connection ids are unique across hubs, but a request for one hub must not reach another hub's connection.
        DeliveryTarget.Connection when delivery.ConnectionId is { } id => connections.TryGet(id, out var one) && one.Hub == delivery.Hub ? [one] : [],
        DeliveryTarget.All => connections.HubConnections(delivery.Hub),
        _ => [],
    };

    /// <summary>Fans one message out to the local recipients. Under the outbound gate.</summary>
    private void FanOut(Delivery delivery, int partition, long offset, int size)
    {
        var filter = Recipients.FilterOf(delivery, out var invalid);
        if (invalid is not null)
        {
            OutboundLog.BadDeliveryFilter(logger, partition, offset, invalid);
            return;
        }

        if (delivery.Target == DeliveryTarget.Group && delivery.Group is { } room
            && !outbound.History.TryAdd(delivery.Hub, room, partition, offset, delivery, size + 64))
        {
            OutboundLog.DuplicateDelivery(logger, delivery.MessageId, partition, offset);
            metrics.DuplicateDropped();
            return;
        }

        if (delivery.ReceivedAt > 0)
        {
            metrics.Delivered(TimeSpan.FromMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds() - delivery.ReceivedAt));
        }

        var recipients = Targets(delivery);
        var replayable = delivery.Target == DeliveryTarget.Group;

        // Encoded once per protocol, on the first recipient that speaks it; every other recipient gets the same bytes.
        byte[]? json = null;
        byte[]? messagePack = null;
        foreach (var recipient in recipients)
        {
            if (!Recipients.Accepts(delivery, recipient, filter))
            {
                continue;
            }

            if (recipient.IsSimple)
            {
                // Simple clients get the payload itself, shared by all of them: text and JSON as text, binary as binary.
                recipient.TryEnqueueRaw(delivery.Payload, delivery.DataType == DataType.Binary);
                continue;
            }

            byte[] frame;
            try
            {
                frame = recipient.Protocol.Encoding == ProtocolEncoding.MessagePack
                    ? messagePack ??= recipient.Writer.Message(delivery)
                    : json ??= recipient.Writer.Message(delivery);
            }
            catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
            {
                OutboundLog.BadDelivery(logger, partition, offset, ex.Message);
                return;
            }

            if (recipient.IsReliable && replayable)
            {
                sessions.Deliver(recipient, frame, partition, offset);
            }
            else if (recipient.IsReliable)
            {
                sessions.DeliverUnreplayable(recipient, frame, partition, offset);
            }
            else
            {
                recipient.TryEnqueue(frame);
            }
        }
    }
}
