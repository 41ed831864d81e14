namespace BrokerChat.Contracts.Topics;

/// <summary>
/// Every Kafka topic BrokerChat uses, in one place. Names are prefixed so several deployments can share a
/// cluster (<c>Kafka:TopicPrefix</c>, default <c>brokerchat.</c>).
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>{prefix}inbound</term><description>client requests (<c>InboundFrame</c>), produced by connectors,
/// consumed by the functions' consumer group; key = <see cref="PartitionKeys.Room"/>.</description></item>
/// <item><term>{prefix}outbound</term><description>deliveries and ack outcomes (<c>Delivery</c>), produced by the
/// functions, consumed by every connector; key = <see cref="PartitionKeys.Room"/>; value = MessagePack, or its base64
/// text when the functions run on Azure Functions (<see cref="Serialization.DeliveryText"/>).</description></item>
/// </list>
/// Both topics have the same partition count, so a room lives on the same partition number in both.
/// </remarks>
public sealed class KafkaTopics
{
    /// <summary>The default topic prefix.</summary>
    public const string DefaultPrefix = "brokerchat.";

    /// <summary>Creates the topic names for a prefix.</summary>
    public KafkaTopics(string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Inbound = prefix + "inbound";
        Outbound = prefix + "outbound";
        DeadLetter = prefix + "deadletter";
    }

    /// <summary>Client requests, connector → functions.</summary>
    public string Inbound { get; }

    /// <summary>Deliveries and ack outcomes, functions → connectors.</summary>
    public string Outbound { get; }

    /// <summary>Requests the functions gave up on, for operators.</summary>
    public string DeadLetter { get; }

    /// <summary>Every topic, for provisioning.</summary>
    public IReadOnlyList<string> All => [Inbound, Outbound, DeadLetter];
}
