using System.Net.WebSockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Sessions;

/// <summary>
/// Reliable sessions the server ended for good (a REST close of the connection, its user, a group or the hub), which
/// no connector may resume from their reconnection tokens. A token is only signed state, valid for days: without this,
/// a client whose session was closed would recover it (the Web PubSub clients try after any close but 1008) on this
/// connector or any other, with the same connection id, as if nothing happened.
/// </summary>
/// <remarks>
/// The connector holding the session records the end here and produces a <see cref="DeliveryCommand.SessionEnded"/>
/// record straight to the outbound topic, keyed by the connection; only once Kafka stored it (or refused it, or
/// <see cref="ConnectorOptions.RecoveryCatchUpTimeout"/> passed) is the client sent <c>disconnected</c> and close code
/// 1008, after which it does not try to recover. A resume from a token then waits until the connector it reaches has
/// read that partition as far as Kafka holds it, so whichever connector a recovery attempt reaches knows the session
/// ended and refuses it with 1008. Every connector remembers ended sessions for
/// <see cref="ConnectorOptions.EndedSessionRetention"/>, at most <see cref="ConnectorOptions.EndedSessionsMax"/>.
/// </remarks>
internal sealed class EndedSessions(
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    OutboundState outbound,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    ILogger<EndedSessions> logger)
{
    /// <summary>The close code of a session the server ended: the clients do not try to recover after it.</summary>
    public const WebSocketCloseStatus EndedStatus = WebSocketCloseStatus.PolicyViolation;

    private readonly Lock _gate = new();
    private readonly HashSet<(string Hub, string ConnectionId)> _ended = [];
    private readonly Queue<(string Hub, string ConnectionId, long At)> _order = new();
    private readonly long _retention = (long)(options.Value.EndedSessionRetention.TotalSeconds * clock.TimestampFrequency);
    private readonly int _max = options.Value.EndedSessionsMax;
    private readonly TimeSpan _storeTimeout = options.Value.RecoveryCatchUpTimeout;

    /// <summary>Ended sessions remembered.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ended.Count;
            }
        }
    }

    /// <summary>Whether the session <paramref name="connectionId"/> of <paramref name="hub"/> was ended by the server.</summary>
    public bool Contains(string hub, string connectionId)
    {
        lock (_gate)
        {
            Trim(clock.GetTimestamp());
            return _ended.Contains((hub, connectionId));
        }
    }

    /// <summary>The outbound partition an end of the session <paramref name="connectionId"/> is recorded on.</summary>
    public int PartitionOf(string hub, string connectionId) => PartitionKeys.PartitionOf(PartitionKeys.Connection(hub, connectionId), outbound.PartitionCount);

    /// <summary>
    /// Closes a connection at the server's request (a REST close), for <paramref name="reason"/>: a reliable session
    /// ends everywhere first, then its client is sent <c>disconnected</c> and close code 1008; any other connection is
    /// closed with 1000. A session waiting for its client ends at once. Under the outbound gate.
    /// </summary>
    public void Close(ClientConnection connection, string reason)
    {
        if (!connection.IsReliable)
        {
            connection.Close(WebSocketCloseStatus.NormalClosure, reason, kind: "rest");
            return;
        }

        Remember(connection.Hub, connection.Id);
        metrics.SessionEnded();
        SessionsLog.SessionEndedByServer(logger, connection.Id, connection.Hub, reason);
        if (connection.IsDetached)
        {
            connection.EndSession(); // the heartbeat removes it; its client's recovery is refused
            Publish(connection, null);
            return;
        }

        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Publish(connection, stored);
        _ = CloseOnceStoredAsync(connection, reason, stored.Task);
    }

    /// <summary>Applies an end read from the outbound topic (this connector's own ones included). Under the outbound gate.</summary>
    public void Apply(Delivery delivery)
    {
        if (delivery.ConnectionId is { Length: > 0 } connectionId)
        {
            Remember(delivery.Hub, connectionId);
        }
    }

    private async Task CloseOnceStoredAsync(ClientConnection connection, string reason, Task stored)
    {
        try
        {
            await stored.WaitAsync(_storeTimeout, clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            SessionsLog.SessionEndNotStored(logger, connection.Id, $"no answer within {_storeTimeout.TotalSeconds:0} s");
        }

        connection.Close(EndedStatus, reason, kind: "rest");
    }

    private void Publish(ClientConnection connection, TaskCompletionSource? stored)
    {
        var record = new Delivery
        {
            Target = DeliveryTarget.Connection,
            Hub = connection.Hub,
            ConnectionId = connection.Id,
            Command = DeliveryCommand.SessionEnded,
            HasMessage = false,
            ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        try
        {
            producerHost.Producer.Produce(factory.Topics.Outbound, new Message<byte[], byte[]>
            {
                Key = PartitionKeys.Connection(connection.Hub, connection.Id),
                Value = ContractSerializer.Serialize(record),
            }, report =>
            {
                if (report.Error.IsError)
                {
                    SessionsLog.SessionEndNotStored(logger, connection.Id, report.Error.Reason);
                }

                stored?.TrySetResult();
            });
        }
        catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
        {
            SessionsLog.SessionEndNotStored(logger, connection.Id, ex is KafkaException kafka ? kafka.Error.Reason : ex.Message);
            stored?.TrySetResult();
        }
    }

    private void Remember(string hub, string connectionId)
    {
        lock (_gate)
        {
            var now = clock.GetTimestamp();
            Trim(now);
            if (!_ended.Add((hub, connectionId)))
            {
                return;
            }

            _order.Enqueue((hub, connectionId, now));
            while (_ended.Count > _max && _order.TryDequeue(out var oldest))
            {
                _ended.Remove((oldest.Hub, oldest.ConnectionId));
            }
        }
    }

    private void Trim(long now)
    {
        while (_order.TryPeek(out var oldest) && now - oldest.At >= _retention)
        {
            _order.Dequeue();
            _ended.Remove((oldest.Hub, oldest.ConnectionId));
        }
    }
}
