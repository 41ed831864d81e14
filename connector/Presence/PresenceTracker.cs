using System.Text;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Presence;

/// <summary>
/// The memberships of this connector's own connections, and every presence record it makes: joins and leaves (to the
/// inbound topic, keyed by room), snapshots of its members (to the inbound topic, one run of records per partition),
/// beacons and sync requests (straight to the outbound topic). Each membership carries a version from a hybrid clock
/// (microseconds since the Unix epoch, strictly increasing here), so that the tables everywhere can tell newer from older.
/// </summary>
/// <remarks>
/// Records are produced under this class's lock, so that the order in which versions are given is the order in which
/// Kafka receives the records; a snapshot of one partition is produced in one go, so none of this connector's joins or
/// leaves falls between its chunks. A record Kafka refuses leaves the others' tables wrong: this connector then
/// publishes a snapshot, which puts them right.
/// </remarks>
internal sealed class PresenceTracker(
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    ConnectorIdentity identity,
    OutboundState outbound,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    KafkaLink link,
    ILogger<PresenceTracker> logger)
{
    /// <summary>Members per snapshot record.</summary>
    public const int SnapshotChunkMembers = 500;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Hub, string Group), Dictionary<string, (string? UserId, long Version)>> _local = [];
    private readonly byte[] _ownKey = Encoding.UTF8.GetBytes("/c" + identity.Id);
    private readonly int _expiryMs = (int)options.Value.PresenceExpiry.TotalMilliseconds;
    private long _lastVersion;
    private int _resyncNeeded;

    /// <summary>This connector's id.</summary>
    public string ConnectorId => identity.Id;

    /// <summary>Memberships of this connector's connections.</summary>
    public int LocalMembers
    {
        get
        {
            lock (_gate)
            {
                return _local.Values.Sum(r => r.Count);
            }
        }
    }

    /// <summary>Records a local connection's join and publishes it; returns the record, to be applied here at once.</summary>
    public PresenceChange Joined(string hub, string group, string connectionId, string? userId)
    {
        lock (_gate)
        {
            var version = NextVersion();
            if (!_local.TryGetValue((hub, group), out var room))
            {
                room = new Dictionary<string, (string?, long)>(StringComparer.Ordinal);
                _local[(hub, group)] = room;
            }

            room[connectionId] = (userId, version);
            var change = new PresenceChange { Action = PresenceAction.Join, ConnectorId = identity.Id, Version = version, ConnectionId = connectionId, UserId = userId };
            ProduceInbound(PartitionKeys.Room(hub, group), hub, group, change);
            return change;
        }
    }

    /// <summary>Records a local connection's leave and publishes it; returns the record, to be applied here at once.</summary>
    public PresenceChange Left(string hub, string group, string connectionId, string? userId)
    {
        lock (_gate)
        {
            if (_local.TryGetValue((hub, group), out var room) && room.Remove(connectionId) && room.Count == 0)
            {
                _local.Remove((hub, group));
            }

            var change = new PresenceChange { Action = PresenceAction.Leave, ConnectorId = identity.Id, Version = NextVersion(), ConnectionId = connectionId, UserId = userId };
            ProduceInbound(PartitionKeys.Room(hub, group), hub, group, change);
            return change;
        }
    }

    /// <summary>
    /// Publishes this connector's members, partition by partition, in chunks of <see cref="SnapshotChunkMembers"/>; every
    /// partition gets at least one (empty) chunk, so that members the others still count here but are gone are removed.
    /// </summary>
    public void PublishSnapshot()
    {
        var partitions = outbound.PartitionCount;
        if (partitions == 0)
        {
            return;
        }

        Interlocked.Exchange(ref _resyncNeeded, 0);
        var members = 0;
        lock (_gate)
        {
            var byPartition = new List<PresenceMember>[partitions];
            foreach (var ((hub, group), room) in _local)
            {
                var partition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, group), partitions);
                var list = byPartition[partition] ??= [];
                foreach (var (connectionId, (userId, version)) in room)
                {
                    list.Add(new PresenceMember { Hub = hub, Group = group, ConnectionId = connectionId, UserId = userId, Version = version });
                }
            }

            var snapshotId = NextVersion();
            for (var partition = 0; partition < partitions; partition++)
            {
                var list = byPartition[partition] ?? [];
                members += list.Count;
                var key = PartitionKeys.ForPartition(partition, partitions);
                var offset = 0;
                do
                {
                    var chunk = list.GetRange(offset, Math.Min(SnapshotChunkMembers, list.Count - offset));
                    offset += chunk.Count;
                    ProduceInbound(key, "", null, new PresenceChange
                    {
                        Action = PresenceAction.Snapshot,
                        ConnectorId = identity.Id,
                        Members = [.. chunk],
                        Partition = partition,
                        SnapshotId = snapshotId,
                        Last = offset >= list.Count,
                    });
                }
                while (offset < list.Count);
            }
        }

        PresenceLog.SnapshotPublished(logger, members, partitions);
    }

    /// <summary>Tells every connector this one is alive, and how long to wait for the next sign before counting it dead.</summary>
    public void PublishBeacon()
    {
        link.BeaconSent();
        ProduceOutbound(new PresenceChange { Action = PresenceAction.Beacon, ConnectorId = identity.Id, ExpiryMs = _expiryMs });
    }

    /// <summary>Asks <paramref name="target"/> (every connector when null) for a snapshot of its members.</summary>
    public void PublishSyncRequest(string? target) =>
        ProduceOutbound(new PresenceChange { Action = PresenceAction.SyncRequest, ConnectorId = identity.Id, TargetConnectorId = target });

    /// <summary>Whether a record was lost since the last snapshot (and clears it).</summary>
    public bool TakeResyncNeeded() => Interlocked.Exchange(ref _resyncNeeded, 0) != 0;

    private long NextVersion()
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _lastVersion = Math.Max(now, _lastVersion + 1);
        return _lastVersion;
    }

    private void ProduceInbound(byte[] key, string hub, string? group, PresenceChange change)
    {
        var frame = new InboundFrame
        {
            Kind = InboundKind.Presence,
            Hub = hub,
            Group = group,
            ConnectionId = change.ConnectionId ?? "",
            ConnectorId = identity.Id,
            UserId = change.UserId,
            DataType = DataType.Binary,
            ReceivedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Presence = change,
        };
        Produce(factory.Topics.Inbound, key, ContractSerializer.Serialize(frame), change.Action);
    }

    private void ProduceOutbound(PresenceChange change)
    {
        var delivery = new Delivery
        {
            Target = DeliveryTarget.Presence,
            ProducedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            HasMessage = false,
            Presence = change,
        };
        Produce(factory.Topics.Outbound, _ownKey, ContractSerializer.Serialize(delivery), change.Action);
    }

    private void Produce(string topic, byte[] key, byte[] value, PresenceAction action)
    {
        try
        {
            producerHost.Producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, report =>
            {
                if (report.Error.IsError)
                {
                    Lost(action, report.Error.Reason);
                }
                else if (action == PresenceAction.Beacon)
                {
                    link.Heard();
                }
            });
        }
        catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
        {
            Lost(action, ex is KafkaException kafka ? kafka.Error.Reason : ex.Message);
        }
    }

    private void Lost(PresenceAction action, string reason)
    {
        PresenceLog.RecordLost(logger, action, reason);
        if (action is PresenceAction.Join or PresenceAction.Leave or PresenceAction.Snapshot)
        {
            Interlocked.Exchange(ref _resyncNeeded, 1);
        }
    }
}
