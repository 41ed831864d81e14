using BrokerChat.Contracts.WebPubSub;
using MessagePack;

namespace BrokerChat.Client.Protocol;

// listMessages and the messages page that answers it: the JSON frames as maps, limit an integer, cursors strs.
internal sealed partial class MessagePackFrameCodec
{
    public override byte[] ListMessages(string group, int? limit, string? before, string? after, ulong ackId) =>
        Write(3 + (limit is null ? 0 : 1) + (before is null ? 0 : 1) + (after is null ? 0 : 1), (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.ListMessages);
            WriteString(ref w, WebPubSubFields.Group, group);
            WriteAckId(ref w, ackId);
            if (limit is { } count)
            {
                w.Write(WebPubSubFields.Limit);
                w.Write(count);
            }

            if (before is not null)
            {
                WriteString(ref w, WebPubSubFields.Before, before);
            }

            if (after is not null)
            {
                WriteString(ref w, WebPubSubFields.After, after);
            }
        });

    /// <summary>
    /// A <c>messages</c> array: maps with <c>messageId</c>, <c>fromUserId</c>, <c>timestamp</c>, <c>editedAt</c>,
    /// <c>dataType</c> and <c>data</c>, or <c>deleted</c>; entries that are not maps or lack an id or a timestamp are
    /// skipped.
    /// </summary>
    private static List<BrokerChatStoredMessage>? ReadStoredMessages(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            Skip(ref reader);
            return null;
        }

        var count = reader.ReadArrayHeader();
        s_security.DepthStep(ref reader);
        var messages = new List<BrokerChatStoredMessage>();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                Skip(ref reader);
                continue;
            }

            string? messageId = null, fromUserId = null, timestamp = null, editedAt = null, dataType = null;
            ReadOnlyMemory<byte>? data = null;
            var deleted = false;
            var fields = reader.ReadMapHeader();
            s_security.DepthStep(ref reader);
            for (var f = 0; f < fields; f++)
            {
                switch (reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null)
                {
                    case WebPubSubFields.MessageId: messageId = ReadString(ref reader); break;
                    case WebPubSubFields.FromUserId: fromUserId = ReadString(ref reader); break;
                    case WebPubSubFields.Timestamp: timestamp = ReadString(ref reader); break;
                    case WebPubSubFields.EditedAt: editedAt = ReadString(ref reader); break;
                    case WebPubSubFields.DataType: dataType = ReadString(ref reader); break;
                    case WebPubSubFields.Data: data = ReadData(ref reader); break;
                    case WebPubSubFields.Deleted: deleted = ReadBoolean(ref reader); break;
                    case null: Skip(ref reader); Skip(ref reader); break;
                    default: Skip(ref reader); break;
                }
            }

            reader.Depth--;
            if (HistoryFields.Message(messageId, fromUserId, timestamp, editedAt, dataType, data ?? ReadOnlyMemory<byte>.Empty, deleted) is { } message)
            {
                messages.Add(message);
            }
        }

        reader.Depth--;
        return messages;
    }
}
