using System.Text.Json;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client.Protocol;

// listMessages and the messages page that answers it.
internal sealed partial class JsonFrameCodec
{
    public override byte[] ListMessages(string group, int? limit, string? before, string? after, ulong ackId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.ListMessages);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        WriteAckId(w, ackId);
        if (limit is { } count)
        {
            w.WriteNumber(WebPubSubFields.LimitUtf8, count);
        }

        if (before is not null)
        {
            w.WriteString(WebPubSubFields.BeforeUtf8, before);
        }

        if (after is not null)
        {
            w.WriteString(WebPubSubFields.AfterUtf8, after);
        }
    });

    /// <summary>
    /// A <c>messages</c> frame: <c>group</c>, <c>ackId</c>, <c>next</c> and the <c>messages</c> array (each with
    /// <c>messageId</c>, <c>fromUserId</c>, <c>timestamp</c>, <c>editedAt</c>, <c>dataType</c> and <c>data</c>, or
    /// <c>deleted</c>); entries that are not objects or lack an id or a timestamp are skipped.
    /// </summary>
    private static void ReadMessagePage(JsonElement root, ServerFrame frame)
    {
        frame.Group = GetString(root, WebPubSubFields.Group);
        frame.AckId = GetUInt64(root, WebPubSubFields.AckId);
        frame.Next = GetString(root, WebPubSubFields.Next);
        if (!root.TryGetProperty(WebPubSubFields.Messages, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        frame.StoredMessages = [];
        foreach (var entry in messages.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var deleted = entry.TryGetProperty(WebPubSubFields.Deleted, out var flag) && flag.ValueKind == JsonValueKind.True;
            var dataType = GetString(entry, WebPubSubFields.DataType);
            var data = !deleted && ServerFrame.ParseDataType(dataType) is { } type && entry.TryGetProperty(WebPubSubFields.Data, out var value)
                ? ReadData(type, value)
                : ReadOnlyMemory<byte>.Empty;
            if (HistoryFields.Message(GetString(entry, WebPubSubFields.MessageId), GetString(entry, WebPubSubFields.FromUserId),
                    GetString(entry, WebPubSubFields.Timestamp), GetString(entry, WebPubSubFields.EditedAt), dataType, data, deleted) is { } message)
            {
                frame.StoredMessages.Add(message);
            }
        }
    }
}
