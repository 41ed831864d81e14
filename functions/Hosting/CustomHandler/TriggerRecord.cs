using BrokerChat.Functions.Chat;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>
/// One Kafka record of a trigger invocation, as far as the invocation tells: the value's bytes, where it sits in
/// its topic, and its key. <see cref="Problem"/> says why a record could not be read; the others of the same
/// invocation still can be.
/// </summary>
/// <param name="Value">The record's value, or null when it could not be read.</param>
/// <param name="Partition">Its partition, when the invocation says.</param>
/// <param name="Offset">Its offset, when the invocation says.</param>
/// <param name="Key">Its key as text (the trigger's default <c>keyDataType</c>), or null.</param>
/// <param name="Problem">Why <paramref name="Value"/> is null.</param>
/// <param name="AsText">The value came as text (the trigger's <c>dataType</c> is <c>string</c> or unset), which cannot carry binary values faithfully.</param>
internal readonly record struct TriggerRecord(byte[]? Value, int? Partition, long? Offset, string? Key, string? Problem = null, bool AsText = false)
{
    /// <summary>The record's position, when the invocation gave both partition and offset.</summary>
    public InboundPosition? Position => Partition is { } partition && Offset is { } offset ? new InboundPosition(partition, offset) : null;
}

/// <summary>The invocation is not a Kafka trigger invocation this handler can read at all (as opposed to one bad record).</summary>
internal sealed class TriggerPayloadException(string message) : Exception(message);
