using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Sessions;

/// <summary>Log messages of reliable sessions. Event ids 270–272 (the connector's are 200–299).</summary>
internal static partial class SessionsLog
{
    [LoggerMessage(270, LogLevel.Debug, "Session {ConnectionId} of hub {Hub} ended by the server: {Reason}", EventName = "SessionEndedByServer")]
    public static partial void SessionEndedByServer(ILogger logger, string connectionId, string hub, string reason);

    [LoggerMessage(271, LogLevel.Warning, "The end of session {ConnectionId} could not be stored in Kafka ({Reason}); it is closed anyway, and other connectors may still resume it from its token.", EventName = "SessionEndNotStored")]
    public static partial void SessionEndNotStored(ILogger logger, string connectionId, string reason);

    [LoggerMessage(272, LogLevel.Information, "Session {ConnectionId} is not resumed: the history store cannot give what it missed of room {Group} of hub {Hub} ({Reason}).", EventName = "StoredRecoveryRefused")]
    public static partial void StoredRecoveryRefused(ILogger logger, string connectionId, string hub, string group, string reason);
}
