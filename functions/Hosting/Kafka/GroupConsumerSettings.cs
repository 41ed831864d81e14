using BrokerChat.Kafka;
using Confluent.Kafka;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// The consumer settings every consumer-group member of the functions shares (the chat workers on the inbound topic,
/// the history function on the outbound topic): offsets stored by the worker only once a record is finished and
/// auto-committed from there, reading from the earliest record when the group has no commit, the group state in the
/// statistics, and the group protocol of <see cref="KafkaOptions.GroupProtocol"/>.
/// </summary>
internal static class GroupConsumerSettings
{
    /// <summary>The consumer settings of member <paramref name="clientId"/> of <paramref name="groupId"/>.</summary>
    public static ConsumerConfig For(KafkaClientFactory factory, string clientId, string groupId) => factory.ConsumerConfig(clientId, groupId, c =>
    {
        c.EnableAutoCommit = true;
        c.EnableAutoOffsetStore = false;
        c.AutoCommitIntervalMs = 500; // Event Hubs throttles commits at 4/s per partition.
        c.AutoOffsetReset = AutoOffsetReset.Earliest;
        // The statistics carry the group state, which /readyz reports; a member without partitions has no other sign.
        c.StatisticsIntervalMs = c.StatisticsIntervalMs is > 0 ? c.StatisticsIntervalMs : 5_000;
        if (factory.Options.GroupProtocol == "classic")
        {
            c.GroupProtocol = GroupProtocol.Classic;
            c.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
            c.SessionTimeoutMs = 10_000;
            c.HeartbeatIntervalMs = 1_000;
        }
        else
        {
            c.GroupProtocol = GroupProtocol.Consumer;
        }
    });
}
