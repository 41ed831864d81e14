using Microsoft.Extensions.Logging;

namespace BrokerChat.Kafka;

/// <summary>Log messages of the Kafka plumbing. Event ids 100–199 are reserved for this component.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(EventId = 100, Message = "Kafka bootstrap servers: {BootstrapServers}", EventName = "BootstrapServers")]
    public static partial void BootstrapServers(ILogger logger, LogLevel level, string bootstrapServers);

    [LoggerMessage(101, LogLevel.Information, "Started the embedded Kafka cluster with {Brokers} brokers and topics {Topics} of {Partitions} partitions.", EventName = "EmbeddedStarted")]
    public static partial void EmbeddedStarted(ILogger logger, int brokers, string topics, int partitions);

    [LoggerMessage(102, LogLevel.Information, "Created Kafka topic {Topic} with {Partitions} partitions.", EventName = "TopicCreated")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(103, LogLevel.Information, "Stopped the embedded Kafka cluster.", EventName = "EmbeddedStopped")]
    public static partial void EmbeddedStopped(ILogger logger);

    [LoggerMessage(EventId = 104, Message = "librdkafka {Client} [{Facility}]: {Message}", EventName = "Librdkafka")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string client, string facility, string message);

    [LoggerMessage(105, LogLevel.Warning, "Kafka producer error: {Reason} ({Code}).", EventName = "ProducerError")]
    public static partial void ProducerError(ILogger logger, string reason, Confluent.Kafka.ErrorCode code);

    [LoggerMessage(106, LogLevel.Warning, "Kafka producer still had {Count} records in flight when it was closed.", EventName = "ProducerUnflushed")]
    public static partial void ProducerUnflushed(ILogger logger, int count);

    [LoggerMessage(107, LogLevel.Warning, "The embedded cluster dropped {Count} records of {Topic} partition {Partition} before their slowest reader read them (or a group whose position on it is not known in this process): it is at offset {Position}, {Behind} records behind the newest (Kafka:EmbeddedRetentionMaxRecords is {Max}).", EventName = "TrimmedUnread")]
    public static partial void TrimmedUnread(ILogger logger, long count, string topic, int partition, long position, long behind, int max);

    [LoggerMessage(109, LogLevel.Warning, "A pass of the embedded cluster's retention failed ({Reason}); it tries again in a second.", EventName = "RetentionPassFailed")]
    public static partial void RetentionPassFailed(ILogger logger, string reason);
}
