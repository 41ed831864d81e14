using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector;

/// <summary>Log messages of the connector. Event ids 200–299 are reserved for this component.</summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(200, LogLevel.Debug, "Connection {ConnectionId} opened on hub {Hub} for user {UserId}.", EventName = "ConnectionOpened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string hub, string? userId);

    [LoggerMessage(201, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}.", EventName = "ConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(202, LogLevel.Information, "Connection refused with {StatusCode}: {Reason}", EventName = "ConnectionRefused")]
    public static partial void ConnectionRefused(ILogger logger, int statusCode, string reason);

    [LoggerMessage(203, LogLevel.Warning, "Kafka did not accept a request of connection {ConnectionId}: {Reason}.", EventName = "ProduceRejected")]
    public static partial void ProduceRejected(ILogger logger, string connectionId, string reason);

    [LoggerMessage(204, LogLevel.Warning, "Kafka consumer error: {Reason} ({Code}).", EventName = "ConsumerError")]
    public static partial void ConsumerError(ILogger logger, string reason, Confluent.Kafka.ErrorCode code);

    [LoggerMessage(205, LogLevel.Information, "Connector {ConnectorId} reads deliveries from {Topic}.", EventName = "DispatcherStarted")]
    public static partial void DispatcherStarted(ILogger logger, string connectorId, string topic);

    [LoggerMessage(206, LogLevel.Warning, "Outbound record {Partition}@{Offset} was skipped: {Reason}", EventName = "BadDelivery")]
    public static partial void BadDelivery(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(207, LogLevel.Debug, "Connection {ConnectionId} sent a frame that was rejected: {Reason}", EventName = "BadFrame")]
    public static partial void BadFrame(ILogger logger, string connectionId, string reason);

    [LoggerMessage(208, LogLevel.Warning, "Access keys are not configured: tokens are signed with a key made at startup, which only this process accepts. Set Auth:AccessKeys for more than one connector.", EventName = "EphemeralKey")]
    public static partial void EphemeralKey(ILogger logger);

    [LoggerMessage(209, LogLevel.Information, "BrokerChat is running. Open {Url} to chat.", EventName = "Running")]
    public static partial void Running(ILogger logger, string url);

    [LoggerMessage(210, LogLevel.Information, "Closing {Count} client connections for shutdown.", EventName = "ClosingForShutdown")]
    public static partial void ClosingForShutdown(ILogger logger, int count);

    [LoggerMessage(220, LogLevel.Debug, "Outbound record {Partition}@{Offset} repeats message {MessageId}; not delivered again", EventName = "DuplicateDelivery")]
    public static partial void DuplicateDelivery(ILogger logger, string messageId, int partition, long offset);

    [LoggerMessage(221, LogLevel.Debug, "Connection {ConnectionId} lost its transport; its session is kept for recovery", EventName = "SessionDetached")]
    public static partial void SessionDetached(ILogger logger, string connectionId);

    [LoggerMessage(222, LogLevel.Debug, "Session {ConnectionId} resumed ({From})", EventName = "SessionResumed")]
    public static partial void SessionResumed(ILogger logger, string connectionId, string from);

    [LoggerMessage(223, LogLevel.Information, "Session {ConnectionId} cannot be resumed: {Reason}", EventName = "RecoveryRefused")]
    public static partial void RecoveryRefused(ILogger logger, string connectionId, string reason);

    [LoggerMessage(260, LogLevel.Information, "REST request {Method} {Path} refused with 401: {Reason}", EventName = "RestUnauthorized")]
    public static partial void RestUnauthorized(ILogger logger, string method, string path, string reason);

    [LoggerMessage(261, LogLevel.Information, "Access keys reloaded from configuration: {Count} accepted.", EventName = "AccessKeysReloaded")]
    public static partial void AccessKeysReloaded(ILogger logger, int count);

    [LoggerMessage(262, LogLevel.Warning, "Kafka did not accept a REST request: {Reason}.", EventName = "RestProduceRejected")]
    public static partial void RestProduceRejected(ILogger logger, string reason);

    [LoggerMessage(263, LogLevel.Warning, "Outbound record {Partition}@{Offset} has a filter that cannot be evaluated: {Reason}", EventName = "BadDeliveryFilter")]
    public static partial void BadDeliveryFilter(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(264, LogLevel.Debug, "Existence check {QueryId} ended after {Answers} of {Expected} connectors answered, found: {Found}", EventName = "ExistenceChecked")]
    public static partial void ExistenceChecked(ILogger logger, string queryId, int answers, int expected, bool found);
}
