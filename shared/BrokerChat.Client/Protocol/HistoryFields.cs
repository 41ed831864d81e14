using System.Globalization;

namespace BrokerChat.Client.Protocol;

/// <summary>What the JSON and MessagePack codecs share in reading a <c>messages</c> page: its stored messages' timestamps and entries.</summary>
internal static class HistoryFields
{
    /// <summary>An ISO 8601 timestamp as the server writes it (UTC), or null when it is not one.</summary>
    public static DateTimeOffset? ParseTimestamp(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>
    /// A stored message from its fields, or null when it has no id or no readable timestamp (the entry is skipped). A
    /// deleted one carries no data; data of a type this client does not know is left out.
    /// </summary>
    public static BrokerChatStoredMessage? Message(
        string? messageId, string? fromUserId, string? timestamp, string? editedAt, string? dataType, ReadOnlyMemory<byte> data, bool deleted)
    {
        if (messageId is null || ParseTimestamp(timestamp) is not { } at)
        {
            return null;
        }

        var type = deleted ? null : ServerFrame.ParseDataType(dataType);
        return new BrokerChatStoredMessage(messageId, fromUserId, type, type is null ? ReadOnlyMemory<byte>.Empty : data, at, ParseTimestamp(editedAt), deleted);
    }
}
