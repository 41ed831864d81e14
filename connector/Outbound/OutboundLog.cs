using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Outbound;

/// <summary>Log messages of the outbound consumer and fan-out. Event ids 204, 205, 206, 219, 220, 263 (the connector's are 200–299).</summary>
internal static partial class OutboundLog
{
    [LoggerMessage(204, LogLevel.Warning, "Kafka consumer error: {Reason} ({Code}).", EventName = "ConsumerError")]
    public static partial void ConsumerError(ILogger logger, string reason, Confluent.Kafka.ErrorCode code);

    [LoggerMessage(205, LogLevel.Information, "Connector {ConnectorId} reads deliveries from {Topic}.", EventName = "DispatcherStarted")]
    public static partial void DispatcherStarted(ILogger logger, string connectorId, string topic);

    [LoggerMessage(206, LogLevel.Warning, "Outbound record {Partition}@{Offset} was skipped: {Reason}", EventName = "BadDelivery")]
    public static partial void BadDelivery(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(220, LogLevel.Debug, "Outbound record {Partition}@{Offset} repeats message {MessageId}; not delivered again", EventName = "DuplicateDelivery")]
    public static partial void DuplicateDelivery(ILogger logger, string messageId, int partition, long offset);

    [LoggerMessage(219, LogLevel.Debug, "Outbound record {Partition}@{Offset} (message {MessageId}) repeats inbound record {SourcePartition}@{SourceOffset}, which its target already had; not delivered again", EventName = "RepeatedSource")]
    public static partial void RepeatedSource(ILogger logger, int partition, long offset, int sourcePartition, long sourceOffset, string messageId);

    [LoggerMessage(263, LogLevel.Warning, "Outbound record {Partition}@{Offset} has a filter that cannot be evaluated: {Reason}", EventName = "BadDeliveryFilter")]
    public static partial void BadDeliveryFilter(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(249, LogLevel.Warning, "An event handler set a connection state of {Length} characters on connection {ConnectionId}, more than the {Limit} allowed; the connection keeps its state.", EventName = "ConnectionStateTooLarge")]
    public static partial void ConnectionStateTooLarge(ILogger logger, string connectionId, int length, int limit);
}
