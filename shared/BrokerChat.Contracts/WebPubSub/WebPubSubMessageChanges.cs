namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>change</c> field (<see cref="WebPubSubFields.Change"/>) of a
/// <see cref="WebPubSubSystemEvents.MessageChanged"/> system message (a BrokerChat extension).
/// </summary>
public static class WebPubSubMessageChanges
{
    /// <summary><c>edited</c>: the message's content was replaced by the event's <c>dataType</c> and <c>data</c>.</summary>
    public const string Edited = "edited";

    /// <summary><see cref="Edited"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EditedUtf8 => "edited"u8;

    /// <summary><c>deleted</c>: the message was deleted; a tombstone stays in the room's history.</summary>
    public const string Deleted = "deleted";

    /// <summary><see cref="Deleted"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> DeletedUtf8 => "deleted"u8;
}
