namespace BrokerChat.Contracts.Topics;

/// <summary>
/// Headers of a record on the dead-letter topic. The record's key and value are the inbound record's, unchanged, and
/// its own headers are kept; these say why and where from. Values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>Why the record was set aside: the last error, e.g. <c>InvalidOperationException: ...</c>.</summary>
    public const string Reason = "brokerchat-dlq-reason";

    /// <summary>How many times the record was tried, as a decimal number (1 for a record that is not a valid request).</summary>
    public const string Attempts = "brokerchat-dlq-attempts";

    /// <summary>The topic the record came from.</summary>
    public const string SourceTopic = "brokerchat-dlq-topic";

    /// <summary>The partition the record came from, as a decimal number.</summary>
    public const string SourcePartition = "brokerchat-dlq-partition";

    /// <summary>The record's offset in that partition, as a decimal number.</summary>
    public const string SourceOffset = "brokerchat-dlq-offset";

    /// <summary>When it was set aside, Unix time in milliseconds, as a decimal number.</summary>
    public const string FailedAt = "brokerchat-dlq-failed-at";
}
