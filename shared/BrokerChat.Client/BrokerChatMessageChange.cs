namespace BrokerChat.Client;

/// <summary>What became of a stored group message (BrokerChat).</summary>
public enum BrokerChatMessageChangeKind
{
    /// <summary>Its content was replaced.</summary>
    Edited,

    /// <summary>It was deleted; a tombstone stays in the room's history.</summary>
    Deleted,
}

/// <summary>A message of a group this client is in was edited or deleted (BrokerChat's <c>messageChanged</c>).</summary>
public sealed class BrokerChatMessageChangedEventArgs(
    string group, string messageId, BrokerChatMessageChangeKind change, string? fromUserId, WebPubSubDataType? dataType, ReadOnlyMemory<byte> data) : EventArgs
{
    /// <summary>The group.</summary>
    public string Group { get; } = group;

    /// <summary>The id of the message changed, as the room's history (<c>listMessages</c>) has it.</summary>
    public string MessageId { get; } = messageId;

    /// <summary>Whether it was edited or deleted.</summary>
    public BrokerChatMessageChangeKind Change { get; } = change;

    /// <summary>Who changed it: its sender, or null for the application's backend.</summary>
    public string? FromUserId { get; } = fromUserId;

    /// <summary>For an edit, how <see cref="Data"/> is to be read; null for a delete.</summary>
    public WebPubSubDataType? DataType { get; } = dataType;

    /// <summary>For an edit, the new content; empty for a delete.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;
}
