using System.Collections.Concurrent;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// Answers "is this connection (user) connected anywhere?" across connectors. The presence table only knows members of
/// groups, so a connection in no group is invisible to it; instead the asking connector checks its own connections and,
/// when the target is not here, puts an <see cref="DeliveryCommand.ExistsQuery"/> straight on the outbound topic. Every
/// other connector answers with an <see cref="DeliveryCommand.ExistsReply"/> for the asker; the check ends with the first
/// "found", or "not found" once every connector the presence table counts as alive has answered, or after
/// <see cref="RestOptions.ExistenceTimeout"/>.
/// </summary>
/// <remarks>
/// Consistency: each connector answers with what it holds when it reads the query, so the answer is true of some moment
/// between the call and the response; a connection that opens or closes meanwhile may be reported either way. A
/// connector that died but whose beacons have not expired yet is waited for until the timeout, and its connections are
/// then reported absent.
/// </remarks>
internal sealed class ExistenceChecks(
    ConnectionIndex connections,
    ConnectorIdentity identity,
    PresenceFeed presence,
    OutboundState outbound,
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    IOptions<RestOptions> options,
    TimeProvider clock,
    ILogger<ExistenceChecks> logger)
{
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly RestOptions _options = options.Value;

    /// <summary>Checks whether a connection (<paramref name="target"/> = Connection) or user (User) of the hub is connected; null when too many checks are pending.</summary>
    public async Task<bool?> ExistsAsync(string hub, DeliveryTarget target, string id, CancellationToken cancellationToken)
    {
        if (HoldsLocally(hub, target, id))
        {
            return true;
        }

        HashSet<string> expected;
        lock (outbound.Gate)
        {
            expected = presence.Table.LiveConnectors.Where(c => c != identity.Id).ToHashSet(StringComparer.Ordinal);
        }

        if (expected.Count == 0)
        {
            return false;
        }

        if (_pending.Count >= _options.MaxPendingExistenceChecks)
        {
            return null;
        }

        var queryId = Guid.NewGuid().ToString("N");
        var pending = new Pending(expected);
        _pending[queryId] = pending;
        try
        {
            var query = new Delivery
            {
                Target = target,
                Hub = hub,
                ConnectionId = target == DeliveryTarget.Connection ? id : null,
                UserId = target == DeliveryTarget.User ? id : null,
                MessageId = queryId,
                AckConnectorId = identity.Id,
                ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                HasMessage = false,
                Command = DeliveryCommand.ExistsQuery,
            };
            if (!Produce(query))
            {
                return false;
            }

            bool found;
            try
            {
                found = await pending.Done.Task.WaitAsync(_options.ExistenceTimeout, clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                found = false;
            }

            RestLog.ExistenceChecked(logger, queryId, pending.Answers, expected.Count, found);
            return found;
        }
        finally
        {
            _pending.TryRemove(queryId, out _);
        }
    }

    /// <summary>Handles a query or reply read from the outbound topic (the dispatcher's thread).</summary>
    public void OnDelivery(Delivery delivery)
    {
        if (delivery.AckConnectorId is not { } asker)
        {
            return;
        }

        if (delivery.Command == DeliveryCommand.ExistsQuery && asker != identity.Id)
        {
            var id = delivery.Target == DeliveryTarget.Connection ? delivery.ConnectionId : delivery.UserId;
            if (id is null || delivery.Target is not (DeliveryTarget.Connection or DeliveryTarget.User))
            {
                return;
            }

            Produce(new Delivery
            {
                Target = delivery.Target,
                Hub = delivery.Hub,
                MessageId = delivery.MessageId,
                AckConnectorId = asker,
                ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                HasMessage = false,
                Command = DeliveryCommand.ExistsReply,
                Found = HoldsLocally(delivery.Hub, delivery.Target, id),
                ReplyingConnectorId = identity.Id,
            });
        }
        else if (delivery.Command == DeliveryCommand.ExistsReply && asker == identity.Id
            && delivery.ReplyingConnectorId is { } from && _pending.TryGetValue(delivery.MessageId, out var pending))
        {
            pending.Answer(from, delivery.Found);
        }
    }

    private bool HoldsLocally(string hub, DeliveryTarget target, string id) => target == DeliveryTarget.Connection
        ? connections.TryGet(id, out var connection) && connection.Hub == hub && !connection.IsClosing
        : connections.UserConnections(hub, id).Any(c => !c.IsClosing);

    private bool Produce(Delivery delivery)
    {
        try
        {
            producerHost.Producer.Produce(factory.Topics.Outbound, new Message<byte[], byte[]>
            {
                Key = PartitionKeys.Room(delivery.Hub, "?" + delivery.MessageId),
                Value = ContractSerializer.Serialize(delivery),
            });
            return true;
        }
        catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
        {
            RestLog.RestProduceRejected(logger, ex is KafkaException kafka ? kafka.Error.Reason : ex.Message);
            return false;
        }
    }

    private sealed class Pending(HashSet<string> expected)
    {
        private readonly Lock _gate = new();

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Answers { get; private set; }

        public void Answer(string connector, bool found)
        {
            lock (_gate)
            {
                Answers++;
                if (found)
                {
                    Done.TrySetResult(true);
                }
                else if (expected.Remove(connector) && expected.Count == 0)
                {
                    Done.TrySetResult(false);
                }
            }
        }
    }
}
