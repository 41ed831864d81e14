using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.History;

/// <summary>Log messages of the history function. Its event ids are 340–349, within the functions' 300–399.</summary>
internal static partial class HistoryLog
{
    [LoggerMessage(340, LogLevel.Information, "History function joined group {GroupId} on topic {Topic}, writing to {Provider}.", EventName = "HistoryStarted")]
    public static partial void Started(ILogger logger, string groupId, string topic, string provider);

    [LoggerMessage(341, LogLevel.Information, "History function was assigned partitions [{Partitions}].", EventName = "HistoryPartitionsAssigned")]
    public static partial void Assigned(ILogger logger, string partitions);

    [LoggerMessage(342, LogLevel.Warning, "History write of {Count} records from {Partition}@{Offset} failed; try {Attempt} in {Delay}: {Reason}", EventName = "HistoryWriteRetrying")]
    public static partial void Retrying(ILogger logger, int count, int partition, long offset, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(343, LogLevel.Warning, "Outbound record {Partition}@{Offset} is not a valid delivery and is not kept: {Reason}", EventName = "HistoryBadRecord")]
    public static partial void BadRecord(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(344, LogLevel.Information, "Partition {Partition} of the outbound topic starts epoch {Epoch} at offset {Offset} in the history store.", EventName = "HistoryEpoch")]
    public static partial void Epoch(ILogger logger, int partition, int epoch, long offset);

    [LoggerMessage(345, LogLevel.Warning, "The history store is not reachable yet ({Reason}); trying again in {Delay}.", EventName = "HistoryStoreUnavailable")]
    public static partial void StoreUnavailable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(346, LogLevel.Information, "Retention deleted {Count} messages past their age.", EventName = "HistoryTrimmed")]
    public static partial void Trimmed(ILogger logger, int count);

    [LoggerMessage(347, LogLevel.Warning, "Retention by age failed: {Reason}", EventName = "HistoryTrimFailed")]
    public static partial void TrimFailed(ILogger logger, string reason);

    [LoggerMessage(348, LogLevel.Error, "The history function failed on partition {Partition}; it is read again from its first unwritten record.", EventName = "HistoryLaneFailed")]
    public static partial void LaneFailed(ILogger logger, Exception exception, int partition);

    [LoggerMessage(349, LogLevel.Information, "History function left the group.", EventName = "HistoryStopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(350, LogLevel.Information, "The {Change} of message {MessageId} in group {Group} of hub {Hub} was not applied: {Outcome}.", EventName = "HistoryChangeNotApplied")]
    public static partial void ChangeNotApplied(ILogger logger, string change, string messageId, string group, string hub, string outcome);
}
