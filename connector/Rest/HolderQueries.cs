using System.Collections.Concurrent;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Rest;

/// <summary>What the connector holding a query's target answered (or that none does).</summary>
/// <param name="Found">Whether a connector holds the target.</param>
/// <param name="Permitted">For a permission query: whether the connection has the permission afterwards.</param>
/// <param name="Refusal">For a permission change the holder refused: why.</param>
internal readonly record struct HolderAnswer(bool Found, bool Permitted = false, string? Refusal = null)
{
    /// <summary>No connector holds the target (or none answered in time).</summary>
    public static HolderAnswer NotFound => default;
}

/// <summary>
/// Asks the connector that holds a connection (or a user's connections) across connectors: is it connected anywhere,
/// and grant, revoke or check a group permission of a connection (<see cref="PermissionGrants"/>). The presence table
/// only knows members of groups, so a connection in no group is invisible to it; instead the asking connector answers
/// itself when it holds the target and otherwise puts the query (<see cref="DeliveryCommand.ExistsQuery"/>,
/// <see cref="DeliveryCommand.GrantPermission"/>, <see cref="DeliveryCommand.RevokePermission"/>,
/// <see cref="DeliveryCommand.CheckPermission"/>) straight on the outbound topic. Every other connector answers with an
/// <see cref="DeliveryCommand.ExistsReply"/> for the asker, the holder after carrying the query out; the query ends
/// with the holder's answer, with "not found" once every connector the presence table counts as alive has answered,
/// or after <see cref="RestOptions.ExistenceTimeout"/>.
/// </summary>
/// <remarks>
/// Consistency: each connector answers with what it holds when it reads the query, so the answer is true of some moment
/// between the call and the response; a connection that opens or closes meanwhile may be reported either way. A
/// connector that died but whose beacons have not expired yet is waited for until the timeout, and its connections are
/// then reported absent. A permission change is carried out by the holder before it answers, so once the call returns
/// the connection's next request is judged by it, and a check that follows sees it.
/// </remarks>
internal sealed class HolderQueries(
    ConnectionIndex connections,
    ConnectorIdentity identity,
    PresenceFeed presence,
    OutboundState outbound,
    PermissionGrants grants,
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    IOptions<RestOptions> options,
    TimeProvider clock,
    ILogger<HolderQueries> logger)
{
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly RestOptions _options = options.Value;

    /// <summary>Checks whether a connection (<paramref name="target"/> = Connection) or user (User) of the hub is connected; null when too many queries are pending or Kafka refused the query.</summary>
    public async Task<bool?> ExistsAsync(string hub, DeliveryTarget target, string id, CancellationToken cancellationToken)
    {
        var query = new Delivery
        {
            Target = target,
            Hub = hub,
            ConnectionId = target == DeliveryTarget.Connection ? id : null,
            UserId = target == DeliveryTarget.User ? id : null,
            Command = DeliveryCommand.ExistsQuery,
        };
        return (await AskAsync(query, cancellationToken).ConfigureAwait(false))?.Found;
    }

    /// <summary>
    /// Has the connector holding <paramref name="connectionId"/> grant, revoke or check (<paramref name="command"/>)
    /// <paramref name="permission"/> for <paramref name="group"/> (null: every group); null when too many queries are
    /// pending or Kafka refused the query.
    /// </summary>
    public Task<HolderAnswer?> PermissionAsync(DeliveryCommand command, string hub, string connectionId, GroupPermission permission, string? group, CancellationToken cancellationToken) =>
        AskAsync(new Delivery { Target = DeliveryTarget.Connection, Hub = hub, ConnectionId = connectionId, Group = group, Permission = permission, Command = command }, cancellationToken);

    /// <summary>Handles a query or reply read from the outbound topic (the dispatcher's thread, under the outbound gate).</summary>
    public void OnDelivery(Delivery delivery)
    {
        if (delivery.AckConnectorId is not { } asker)
        {
            return;
        }

        if (delivery.Command != DeliveryCommand.ExistsReply && asker != identity.Id)
        {
            if (!IsWellFormed(delivery))
            {
                return;
            }

            var answer = AnswerHere(delivery);
            Produce(new Delivery
            {
                Target = delivery.Target,
                Hub = delivery.Hub,
                MessageId = delivery.MessageId,
                AckConnectorId = asker,
                ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                HasMessage = false,
                Command = DeliveryCommand.ExistsReply,
                Found = answer.Found,
                Permitted = answer.Permitted,
                ErrorMessage = answer.Refusal,
                ReplyingConnectorId = identity.Id,
            });
        }
        else if (delivery.Command == DeliveryCommand.ExistsReply && asker == identity.Id
            && delivery.ReplyingConnectorId is { } from && _pending.TryGetValue(delivery.MessageId, out var pending))
        {
            pending.Answer(from, new HolderAnswer(delivery.Found, delivery.Permitted, delivery.ErrorMessage));
        }
    }

    /// <summary>Whether the command is one of the queries this class asks and answers.</summary>
    public static bool IsQueryOrReply(DeliveryCommand command) => command is DeliveryCommand.ExistsQuery or DeliveryCommand.ExistsReply
        or DeliveryCommand.GrantPermission or DeliveryCommand.RevokePermission or DeliveryCommand.CheckPermission;

    private async Task<HolderAnswer?> AskAsync(Delivery query, CancellationToken cancellationToken)
    {
        if (Holds(query.Hub, query.Target, query.Target == DeliveryTarget.Connection ? query.ConnectionId! : query.UserId!))
        {
            lock (outbound.Gate)
            {
                return AnswerHere(query);
            }
        }

        HashSet<string> expected;
        lock (outbound.Gate)
        {
            expected = presence.Table.LiveConnectors.Where(c => c != identity.Id).ToHashSet(StringComparer.Ordinal);
        }

        if (expected.Count == 0)
        {
            return HolderAnswer.NotFound;
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
            query.MessageId = queryId;
            query.AckConnectorId = identity.Id;
            query.ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            query.HasMessage = false;
            if (!Produce(query))
            {
                return null;
            }

            HolderAnswer answer;
            try
            {
                answer = await pending.Done.Task.WaitAsync(_options.ExistenceTimeout, clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                answer = HolderAnswer.NotFound;
            }

            RestLog.HolderAsked(logger, query.Command, queryId, pending.Answers, expected.Count, answer.Found);
            return answer;
        }
        finally
        {
            _pending.TryRemove(queryId, out _);
        }
    }

    /// <summary>This connector's answer to a query. Under the outbound gate.</summary>
    private HolderAnswer AnswerHere(Delivery query)
    {
        if (query.Command == DeliveryCommand.ExistsQuery)
        {
            var id = query.Target == DeliveryTarget.Connection ? query.ConnectionId! : query.UserId!;
            return new HolderAnswer(Holds(query.Hub, query.Target, id));
        }

        return connections.TryGet(query.ConnectionId!, out var connection) && connection.Hub == query.Hub && !connection.IsClosing
            ? grants.Apply(connection, query.Command, query.Permission, query.Group)
            : HolderAnswer.NotFound;
    }

    /// <summary>Whether a query from another connector names what its command needs; one that does not goes unanswered.</summary>
    private static bool IsWellFormed(Delivery query) => query.Command switch
    {
        DeliveryCommand.ExistsQuery => query.Target is DeliveryTarget.Connection or DeliveryTarget.User
            && (query.Target == DeliveryTarget.Connection ? query.ConnectionId : query.UserId) is not null,
        DeliveryCommand.GrantPermission or DeliveryCommand.RevokePermission or DeliveryCommand.CheckPermission =>
            query is { Target: DeliveryTarget.Connection, ConnectionId: not null, Permission: GroupPermission.SendToGroup or GroupPermission.JoinLeaveGroup }
            && (query.Group is null || GroupNames.IsValid(query.Group)),
        _ => false,
    };

    private bool Holds(string hub, DeliveryTarget target, string id) => target == DeliveryTarget.Connection
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

        public TaskCompletionSource<HolderAnswer> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Answers { get; private set; }

        public void Answer(string connector, HolderAnswer answer)
        {
            lock (_gate)
            {
                Answers++;
                if (answer.Found)
                {
                    Done.TrySetResult(answer);
                }
                else if (expected.Remove(connector) && expected.Count == 0)
                {
                    Done.TrySetResult(HolderAnswer.NotFound);
                }
            }
        }
    }
}
