using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.History;

/// <summary>Log messages of the room histories. Event ids 234–235 and 250–253 (the connector's are 200–299).</summary>
internal static partial class HistoryLog
{
    [LoggerMessage(234, LogLevel.Information, "Read back {Messages} recent messages of {Rooms} rooms from the outbound topic ({Records} records) into the room histories.", EventName = "HistoryWarmedUp")]
    public static partial void HistoryWarmedUp(ILogger logger, int messages, int rooms, long records);

    [LoggerMessage(235, LogLevel.Warning, "Reading back the outbound topic did not finish for partitions {Partitions}; their rooms' histories start empty.", EventName = "HistoryWarmupIncomplete")]
    public static partial void HistoryWarmupIncomplete(ILogger logger, string partitions);

    [LoggerMessage(250, LogLevel.Warning, "The history store could not be read for {Purpose} of {Hub}/{Group}: {Reason}", EventName = "StoreReadFailed")]
    public static partial void StoreReadFailed(ILogger logger, string purpose, string hub, string group, string reason);

    [LoggerMessage(251, LogLevel.Debug, "Session {ConnectionId} is resumed with {Messages} messages from the history store.", EventName = "RecoveredFromStore")]
    public static partial void RecoveredFromStore(ILogger logger, string connectionId, int messages);
}
