using System.Text.Json;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client.Protocol;

// Changes of stored group messages (BrokerChat): editMessage and deleteMessage out, messageChanged in.
internal sealed partial class JsonFrameCodec
{
    public override byte[] EditMessage(string group, string messageId, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId) =>
        WriteWithData(dataType, data, w =>
        {
            w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.EditMessageUtf8);
            w.WriteString(WebPubSubFields.GroupUtf8, group);
            w.WriteString(WebPubSubFields.MessageIdUtf8, messageId);
            WriteAckId(w, ackId);
        });

    public override byte[] DeleteMessage(string group, string messageId, ulong? ackId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.DeleteMessageUtf8);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        w.WriteString(WebPubSubFields.MessageIdUtf8, messageId);
        WriteAckId(w, ackId);
    });

    /// <summary>A <c>messageChanged</c> system frame: its group, message id, change, who made it and an edit's data.</summary>
    private static bool ReadChange(JsonElement root, ServerFrame frame)
    {
        frame.Group = GetString(root, WebPubSubFields.Group);
        frame.MessageId = GetString(root, WebPubSubFields.MessageId);
        frame.Change = GetString(root, WebPubSubFields.Change);
        frame.FromUserId = GetString(root, WebPubSubFields.FromUserId);
        ReadPayload(root, frame);
        return frame.IsWellFormedSystem;
    }
}
