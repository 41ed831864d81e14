namespace BrokerChat.Functions.Chat;

/// <summary>Where an inbound record sits in Kafka; the message ids of its deliveries are derived from it.</summary>
/// <param name="Partition">The inbound partition.</param>
/// <param name="Offset">The record's offset in that partition.</param>
public readonly record struct InboundPosition(int Partition, long Offset)
{
    /// <summary>The deterministic id of the <paramref name="index"/>-th delivery made from this record.</summary>
    public string MessageId(int index = 0) => index == 0 ? $"{Partition}-{Offset}" : $"{Partition}-{Offset}-{index}";
}
