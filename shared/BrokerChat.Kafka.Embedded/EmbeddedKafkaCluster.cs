using System.Runtime.InteropServices;

namespace BrokerChat.Kafka.Embedded;

/// <summary>
/// An in-process Kafka-protocol cluster: librdkafka's mock cluster, reachable over TCP on 127.0.0.1 by any Kafka
/// client in this or another process on the machine.
/// </summary>
/// <remarks>
/// It is for local runs and tests, not for keeping data: each partition keeps only its newest ~5 MiB, nothing is
/// written to disk, and a fetch always waits the full <c>fetch.wait.max.ms</c>. Topics must be created with
/// <see cref="CreateTopic"/> (it has no CreateTopics API). Dispose it only after every client using it is closed;
/// disposal destroys the cluster before the handle that owns it, the only order librdkafka accepts.
/// </remarks>
public sealed class EmbeddedKafkaCluster : ILocalKafkaCluster
{
    private const int ErrorBufferSize = 512;
    private readonly Lock _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    /// <summary>Starts a cluster with <paramref name="brokers"/> brokers on kernel-chosen loopback ports.</summary>
    public EmbeddedKafkaCluster(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        RdKafkaMock.EnsureLoaded();
        var error = new byte[ErrorBufferSize];
        var conf = RdKafkaMock.rd_kafka_conf_new();
        // The owning handle is an idle producer with no bootstrap servers; level 4 hides the warning about that.
        _ = RdKafkaMock.rd_kafka_conf_set(conf, "log_level", "4", error, ErrorBufferSize);
        _handle = RdKafkaMock.rd_kafka_new(0, conf, error, ErrorBufferSize);
        if (_handle == IntPtr.Zero)
        {
            throw new InvalidOperationException($"Could not create the handle owning the embedded Kafka cluster: {RdKafkaMock.ErrorText(error)}");
        }

        _cluster = RdKafkaMock.rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            RdKafkaMock.rd_kafka_destroy(_handle);
            _handle = IntPtr.Zero;
            throw new InvalidOperationException("Could not create the embedded Kafka cluster.");
        }

        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(RdKafkaMock.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("The embedded Kafka cluster reported no bootstrap servers.");

        // A controller id makes unsupported admin calls fail at once instead of timing out.
        RdKafkaMock.rd_kafka_mock_set_controller_id(_cluster, 1);
        // Fast group membership changes: no initial delay for classic groups, and short KIP-848 heartbeats so a
        // worker that joins, leaves or dies is reflected in about a second (six for a crash).
        RdKafkaMock.rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, 0);
        RdKafkaMock.rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(_cluster, 500);
        RdKafkaMock.rd_kafka_mock_set_group_consumer_session_timeout_ms(_cluster, 6000);
    }

    /// <summary>The comma-separated <c>host:port</c> list of the brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>Creates a topic. Creating an existing topic fails.</summary>
    public void CreateTopic(string topic, int partitions)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var error = RdKafkaMock.rd_kafka_mock_topic_create(Cluster(), topic, partitions, 1);
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded cluster refused to create topic '{topic}' (error {error}).");
        }
    }

    /// <summary>
    /// Drops a partition's records before <paramref name="beforeOffset"/>, as retention would; false when the cluster
    /// refuses (an offset outside the log).
    /// </summary>
    public bool DeleteRecordsBefore(string topic, int partition, long beforeOffset) =>
        RdKafkaMock.rd_kafka_mock_partition_delete_records(Cluster(), topic, partition, beforeOffset) == 0;

    /// <summary>Takes a broker down: its connections close and new ones are refused. Broker ids are 1-based.</summary>
    public void SetBrokerDown(int brokerId) => Check(RdKafkaMock.rd_kafka_mock_broker_set_down(Cluster(), brokerId), brokerId);

    /// <summary>Brings a broker back up.</summary>
    public void SetBrokerUp(int brokerId) => Check(RdKafkaMock.rd_kafka_mock_broker_set_up(Cluster(), brokerId), brokerId);

    /// <summary>Delays every response of a broker by <paramref name="rttMs"/> milliseconds.</summary>
    public void SetBrokerRtt(int brokerId, int rttMs) => Check(RdKafkaMock.rd_kafka_mock_broker_set_rtt(Cluster(), brokerId, rttMs), brokerId);

    /// <summary>
    /// Makes the cluster's Metadata name <paramref name="host"/>:<paramref name="port"/> as a broker's address, so
    /// clients that learn the brokers from it connect there (a forwarder's address, say); the broker still listens on
    /// 127.0.0.1 at its own port, and the <see cref="BootstrapServers"/> stay as they were.
    /// </summary>
    public void AdvertiseBroker(int brokerId, string host, int port)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerId, BrokerCount);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        RdKafkaMock.rd_kafka_mock_broker_set_host_port(Cluster(), brokerId, host, port);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                RdKafkaMock.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }

            if (_handle != IntPtr.Zero)
            {
                RdKafkaMock.rd_kafka_destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    private IntPtr Cluster()
    {
        var cluster = _cluster;
        ObjectDisposedException.ThrowIf(cluster == IntPtr.Zero, this);
        return cluster;
    }

    private static void Check(int error, int brokerId)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded cluster refused the call for broker {brokerId} (error {error}).");
        }
    }
}
