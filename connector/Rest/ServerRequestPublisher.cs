using BrokerChat.Connector.Inbound;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// Hands the REST API's requests to the functions through the inbound topic, like client requests, so that every
/// connector applies them whichever connector accepted the call. A request is keyed by the room it is about (so a group
/// change or a group message stays in order with that group's traffic), else by its target user or connection, else by
/// hub. The call completes once the brokers confirmed the record: a 202 means the request will be carried out.
/// </summary>
internal sealed class ServerRequestPublisher(
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    ConnectorIdentity identity,
    InboundCapacity capacity,
    TimeProvider clock,
    ILogger<ServerRequestPublisher> logger)
{
    /// <summary>Publishes one request; false when Kafka refused it (or is too busy to take it now).</summary>
    public async Task<bool> PublishAsync(InboundFrame frame, CancellationToken cancellationToken)
    {
        frame.ConnectorId = identity.Id;
        frame.ReceivedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await capacity.TryAcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            var report = await producerHost.Producer.ProduceAsync(
                factory.Topics.Inbound,
                new Message<byte[], byte[]> { Key = KeyOf(frame), Value = ContractSerializer.Serialize(frame) },
                cancellationToken).ConfigureAwait(false);
            return report.Status != PersistenceStatus.NotPersisted;
        }
        catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
        {
            RestLog.RestProduceRejected(logger, ex is KafkaException kafka ? kafka.Error.Reason : ex.Message);
            return false;
        }
        finally
        {
            capacity.Release();
        }
    }

    /// <summary>The partition key: the group when there is one, else the user, the connection, or the hub.</summary>
    public static byte[] KeyOf(InboundFrame frame)
    {
        if (frame.Group is { } group)
        {
            return PartitionKeys.Room(frame.Hub, group);
        }

        if (frame.UserId is { } user && frame.Kind is InboundKind.SendToUser or InboundKind.AddToGroup or InboundKind.RemoveFromGroup or InboundKind.CloseConnections)
        {
            // '~' cannot start a connection key ('@'), so a user never shares a key with a connection of the same id.
            return PartitionKeys.Room(frame.Hub, "~" + user);
        }

        return frame.ConnectionId is { Length: > 0 } connection
            ? PartitionKeys.Connection(frame.Hub, connection)
            : PartitionKeys.Room(frame.Hub, "*");
    }
}
