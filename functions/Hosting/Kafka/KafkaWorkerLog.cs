using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Log messages of the Kafka worker (<see cref="KafkaFunctionWorker"/> and the parts it is made of), all on the
/// worker's logger category. Its event ids count up from 300, within the functions' 300–399 (the custom handler's
/// start at 380).
/// </summary>
internal static partial class KafkaWorkerLog
{
    [LoggerMessage(300, LogLevel.Information, "Function worker {Worker} joined group {GroupId} on topic {Topic}.", EventName = "WorkerStarted")]
    public static partial void WorkerStarted(ILogger logger, int worker, string groupId, string topic);

    [LoggerMessage(301, LogLevel.Information, "Function worker {Worker} was assigned partitions [{Partitions}].", EventName = "PartitionsAssigned")]
    public static partial void PartitionsAssigned(ILogger logger, int worker, string partitions);

    [LoggerMessage(302, LogLevel.Information, "Function worker {Worker} had partitions [{Partitions}] revoked.", EventName = "PartitionsRevoked")]
    public static partial void PartitionsRevoked(ILogger logger, int worker, string partitions);

    [LoggerMessage(303, LogLevel.Warning, "Function worker {Worker} lost partitions [{Partitions}]; their uncommitted records will be processed again.", EventName = "PartitionsLost")]
    public static partial void PartitionsLost(ILogger logger, int worker, string partitions);

    [LoggerMessage(304, LogLevel.Warning, "Inbound record {Partition}@{Offset} is not a valid request: {Reason}", EventName = "PoisonRecord")]
    public static partial void PoisonRecord(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(305, LogLevel.Warning, "Delivery for inbound record {Partition}@{Offset} failed: {Reason}. The partition will be read again from its first unfinished record.", EventName = "DeliveryFailed")]
    public static partial void DeliveryFailed(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(306, LogLevel.Information, "Function worker {Worker} rewinds partition {Partition} to offset {Offset}.", EventName = "Rewind")]
    public static partial void Rewind(ILogger logger, int worker, int partition, long offset);

    [LoggerMessage(307, LogLevel.Warning, "Kafka consumer error in worker {Worker}: {Reason} ({Code}).", EventName = "ConsumerError")]
    public static partial void ConsumerError(ILogger logger, int worker, string reason, Confluent.Kafka.ErrorCode code);

    [LoggerMessage(308, LogLevel.Error, "Function worker {Worker} stopped on a fatal error.", EventName = "WorkerFailed")]
    public static partial void WorkerFailed(ILogger logger, Exception exception, int worker);

    [LoggerMessage(309, LogLevel.Warning, "Function worker {Worker} stopped with {InFlight} records still in flight; they will be processed again.", EventName = "DrainIncomplete")]
    public static partial void DrainIncomplete(ILogger logger, int worker, int inFlight);

    [LoggerMessage(310, LogLevel.Warning, "Could not commit offsets: {Reason}.", EventName = "CommitFailed")]
    public static partial void CommitFailed(ILogger logger, string reason);

    [LoggerMessage(311, LogLevel.Information, "Function worker {Worker} left the group.", EventName = "WorkerStopped")]
    public static partial void WorkerStopped(ILogger logger, int worker);

    [LoggerMessage(312, LogLevel.Warning, "Inbound record {Partition}@{Offset} failed; try {Attempt} in {Delay}: {Reason}", EventName = "Retrying")]
    public static partial void Retrying(ILogger logger, int partition, long offset, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(313, LogLevel.Error, "Inbound record {Partition}@{Offset} is set aside on the dead-letter topic after {Attempts} tries: {Reason}", EventName = "DeadLettered")]
    public static partial void DeadLettered(ILogger logger, int partition, long offset, int attempts, string reason);

    [LoggerMessage(314, LogLevel.Debug, "Function worker {Worker} paused partition {Partition} at offset {Offset}: its queue is full.", EventName = "PartitionPaused")]
    public static partial void PartitionPaused(ILogger logger, int worker, int partition, long offset);

    [LoggerMessage(315, LogLevel.Error, "Function worker {Worker} failed handling partition {Partition}; it is read again from its first unfinished record.", EventName = "LaneFailed")]
    public static partial void LaneFailed(ILogger logger, Exception exception, int worker, int partition);

    [LoggerMessage(316, LogLevel.Warning, "A batch of {Count} inbound records from {Partition}@{Offset} failed; try {Attempt} in {Delay}: {Reason}", EventName = "BatchRetrying")]
    public static partial void BatchRetrying(ILogger logger, int partition, long offset, int count, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(317, LogLevel.Warning, "A batch of {Count} inbound records from {Partition}@{Offset} kept failing; each is tried alone now: {Reason}", EventName = "BatchFallback")]
    public static partial void BatchFallback(ILogger logger, int partition, long offset, int count, string reason);

    [LoggerMessage(318, LogLevel.Debug, "Cancel record {Partition}@{Offset} for invocation {InvocationId} of connection {ConnectionId}: running here {Running}.", EventName = "CancelRead")]
    public static partial void CancelRead(ILogger logger, int partition, long offset, string invocationId, string connectionId, bool running);

    [LoggerMessage(319, LogLevel.Warning, "Cancel record {Partition}@{Offset} is not a valid cancel and is skipped: {Reason}", EventName = "InvalidCancel")]
    public static partial void InvalidCancel(ILogger logger, int partition, long offset, string reason);
}
