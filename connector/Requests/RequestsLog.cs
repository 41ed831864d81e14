using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Requests;

/// <summary>Log messages of client requests. Event ids 207 (the connector's are 200–299).</summary>
internal static partial class RequestsLog
{
    [LoggerMessage(207, LogLevel.Debug, "Connection {ConnectionId} sent a frame that was rejected: {Reason}", EventName = "BadFrame")]
    public static partial void BadFrame(ILogger logger, string connectionId, string reason);
}
