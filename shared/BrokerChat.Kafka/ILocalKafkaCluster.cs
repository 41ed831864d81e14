namespace BrokerChat.Kafka;

/// <summary>
/// A Kafka cluster this process runs itself, started by <see cref="KafkaClusterHost"/> when no
/// <see cref="KafkaOptions.BootstrapServers"/> are configured (a local run or a test). Production processes have none:
/// they are given bootstrap servers. The embedded cluster (<c>BrokerChat.Kafka.Embedded</c>) is the implementation.
/// </summary>
public interface ILocalKafkaCluster : IDisposable
{
    /// <summary>The comma-separated <c>host:port</c> list of the brokers.</summary>
    string BootstrapServers { get; }

    /// <summary>Creates a topic (a local cluster may have no CreateTopics API).</summary>
    void CreateTopic(string topic, int partitions);

    /// <summary>Drops the records of a partition below <paramref name="beforeOffset"/>; false when the cluster refused.</summary>
    bool DeleteRecordsBefore(string topic, int partition, long beforeOffset);
}

/// <summary>Starts a local cluster of <paramref name="brokers"/> brokers; registered in DI by the assembly that provides one.</summary>
public delegate ILocalKafkaCluster LocalKafkaClusterFactory(int brokers);
