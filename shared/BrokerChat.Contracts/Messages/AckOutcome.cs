using MessagePack;

namespace BrokerChat.Contracts.Messages;

/// <summary>
/// The answer to a client's <c>ackId</c>, carried inside a <see cref="Delivery"/>.
/// </summary>
/// <remarks>
/// Wire format: MessagePack array, append-only like every contract here.
/// 0 = connection id the ack is for, 1 = ackId, 2 = success, 3 = error name (nil on success),
/// 4 = error message (nil on success).
/// </remarks>
[MessagePackObject]
public sealed class AckOutcome
{
    [Key(0)] public string ConnectionId { get; set; } = "";
    [Key(1)] public ulong AckId { get; set; }
    [Key(2)] public bool Success { get; set; }
    [Key(3)] public string? ErrorName { get; set; }
    [Key(4)] public string? ErrorMessage { get; set; }

    /// <summary>An outcome that reports success to the sender.</summary>
    public static AckOutcome Succeeded(string connectionId, ulong ackId) =>
        new() { ConnectionId = connectionId, AckId = ackId, Success = true };

    /// <summary>An outcome that reports a rejection to the sender.</summary>
    public static AckOutcome Failed(string connectionId, ulong ackId, string errorName, string errorMessage) =>
        new() { ConnectionId = connectionId, AckId = ackId, Success = false, ErrorName = errorName, ErrorMessage = errorMessage };
}
