using System.Text;

namespace BrokerChat.Client;

/// <summary>A message of a group's stored history (BrokerChat), as <see cref="BrokerChatClient.ListMessagesAsync"/> returns it.</summary>
/// <param name="MessageId">The message's id, the same on every connector.</param>
/// <param name="FromUserId">The sender's user id, or null for a message from the application's backend.</param>
/// <param name="DataType">How <see cref="Data"/> is to be read; null for a deleted message, or a type this client does not know.</param>
/// <param name="Data">
/// The payload (an edit's, once edited): UTF-8 text for <see cref="WebPubSubDataType.Text"/>, UTF-8 JSON text for
/// <see cref="WebPubSubDataType.Json"/>, the bytes for binary and protobuf; empty for a deleted message.
/// </param>
/// <param name="Timestamp">When the message was sent.</param>
/// <param name="EditedAt">When it was last edited, or null.</param>
/// <param name="IsDeleted">True for a deleted message's tombstone: only its id, sender and time are left.</param>
public sealed record BrokerChatStoredMessage(
    string MessageId, string? FromUserId, WebPubSubDataType? DataType, ReadOnlyMemory<byte> Data,
    DateTimeOffset Timestamp, DateTimeOffset? EditedAt, bool IsDeleted)
{
    /// <summary>The payload decoded as UTF-8 (meaningful for text and JSON).</summary>
    public string GetText() => Encoding.UTF8.GetString(Data.Span);
}

/// <summary>A page of a group's stored history, oldest first.</summary>
/// <param name="Messages">The page's messages, oldest first.</param>
/// <param name="Next">
/// The cursor of the next page in the same direction (pass it as <c>before</c> again when paging back, as
/// <c>after</c> when paging forward), or null when there is none.
/// </param>
public sealed record BrokerChatMessagePage(IReadOnlyList<BrokerChatStoredMessage> Messages, string? Next);
