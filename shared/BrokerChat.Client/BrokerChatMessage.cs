using System.Text;

namespace BrokerChat.Client;

/// <summary>Where a received message came from (the <c>from</c> field).</summary>
public enum BrokerChatMessageSource
{
    /// <summary>Published to a group this client is in.</summary>
    Group,

    /// <summary>Sent by the server (REST send to all, a user or this connection, or an event handler's reply).</summary>
    Server,
}

/// <summary>A data message received from the server.</summary>
public sealed class BrokerChatMessage
{
    internal BrokerChatMessage(BrokerChatMessageSource source, string? group, string? fromUserId, WebPubSubDataType dataType, ReadOnlyMemory<byte> data, ulong? sequenceId, bool isHistory = false)
    {
        IsHistory = isHistory;
        Source = source;
        Group = group;
        FromUserId = fromUserId;
        DataType = dataType;
        Data = data;
        SequenceId = sequenceId;
    }

    /// <summary>Group or server.</summary>
    public BrokerChatMessageSource Source { get; }

    /// <summary>The group, for group messages.</summary>
    public string? Group { get; }

    /// <summary>The sender's user id, for group messages sent by a user client.</summary>
    public string? FromUserId { get; }

    /// <summary>How <see cref="Data"/> is to be read.</summary>
    public WebPubSubDataType DataType { get; }

    /// <summary>
    /// The payload: UTF-8 text for <see cref="WebPubSubDataType.Text"/>, UTF-8 JSON text for
    /// <see cref="WebPubSubDataType.Json"/>, the bytes for binary and protobuf.
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The message's sequence id on a reliable protocol, otherwise null (also for history messages).</summary>
    public ulong? SequenceId { get; }

    /// <summary>
    /// True for one of the group's earlier messages, sent because this client joined the group asking for history
    /// (BrokerChat); they arrive before the join completes, and before any live message of the group.
    /// </summary>
    public bool IsHistory { get; }

    /// <summary>The payload decoded as UTF-8 (meaningful for text and JSON).</summary>
    public string GetText() => Encoding.UTF8.GetString(Data.Span);
}
