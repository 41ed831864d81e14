using BrokerChat.Contracts.WebPubSub;
using MessagePack;

namespace BrokerChat.Client.Protocol;

// Changes of stored group messages (BrokerChat): editMessage and deleteMessage out (messageChanged is read with the
// other frames, its messageId and change among the keys the reader knows).
internal sealed partial class MessagePackFrameCodec
{
    public override byte[] EditMessage(string group, string messageId, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId) =>
        WriteWithData(5 + (ackId is null ? 0 : 1), dataType, data, (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.EditMessage);
            WriteString(ref w, WebPubSubFields.Group, group);
            WriteString(ref w, WebPubSubFields.MessageId, messageId);
            WriteAckId(ref w, ackId);
        });

    public override byte[] DeleteMessage(string group, string messageId, ulong? ackId) =>
        Write(3 + (ackId is null ? 0 : 1), (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.DeleteMessage);
            WriteString(ref w, WebPubSubFields.Group, group);
            WriteString(ref w, WebPubSubFields.MessageId, messageId);
            WriteAckId(ref w, ackId);
        });
}
