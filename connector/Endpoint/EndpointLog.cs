using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Endpoint;

/// <summary>Log messages of the client endpoint: connections opened, refused, closed; sessions detached and resumed. Event ids 200, 201, 202, 210, 221, 222, 223, 240, 241 (the connector's are 200–299).</summary>
internal static partial class EndpointLog
{
    [LoggerMessage(200, LogLevel.Debug, "Connection {ConnectionId} opened on hub {Hub} for user {UserId}.", EventName = "ConnectionOpened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string hub, string? userId);

    [LoggerMessage(201, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}.", EventName = "ConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(202, LogLevel.Information, "Connection refused with {StatusCode}: {Reason}", EventName = "ConnectionRefused")]
    public static partial void ConnectionRefused(ILogger logger, int statusCode, string reason);

    [LoggerMessage(240, LogLevel.Warning, "The connect handler of hub {Hub} did not decide on connection {ConnectionId} within {Seconds} s; the connection is refused.", EventName = "ConnectHandlerTimedOut")]
    public static partial void ConnectHandlerTimedOut(ILogger logger, string hub, string connectionId, double seconds);

    [LoggerMessage(241, LogLevel.Warning, "The connect handler of hub {Hub} failed for connection {ConnectionId}; the connection is refused.", EventName = "ConnectHandlerFailed")]
    public static partial void ConnectHandlerFailed(ILogger logger, string hub, string connectionId, Exception exception);

    [LoggerMessage(210, LogLevel.Information, "Closing {Count} client connections for shutdown.", EventName = "ClosingForShutdown")]
    public static partial void ClosingForShutdown(ILogger logger, int count);

    [LoggerMessage(221, LogLevel.Debug, "Connection {ConnectionId} lost its transport; its session is kept for recovery", EventName = "SessionDetached")]
    public static partial void SessionDetached(ILogger logger, string connectionId);

    [LoggerMessage(222, LogLevel.Debug, "Session {ConnectionId} resumed ({From})", EventName = "SessionResumed")]
    public static partial void SessionResumed(ILogger logger, string connectionId, string from);

    [LoggerMessage(223, LogLevel.Information, "Session {ConnectionId} cannot be resumed: {Reason}", EventName = "RecoveryRefused")]
    public static partial void RecoveryRefused(ILogger logger, string connectionId, string reason);

    [LoggerMessage(215, LogLevel.Warning, "Kafka has been silent for {Seconds:0.0} s (no beacon confirmed or read back): this connector is not ready, refuses new connections and tells its {Count} clients to reconnect elsewhere.", EventName = "KafkaLost")]
    public static partial void KafkaLost(ILogger logger, double seconds, int count);

    [LoggerMessage(216, LogLevel.Information, "Kafka is reachable again: this connector is ready and admits connections.", EventName = "KafkaRestored")]
    public static partial void KafkaRestored(ILogger logger);
}
