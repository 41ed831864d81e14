using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;
using MessagePack;

namespace BrokerChat.Connector.Frames;

// The messageChanged system message: a group message was edited or deleted.
internal sealed partial class MessagePackFrameWriter
{
    /// <inheritdoc />
    public override byte[] MessageChanged(Delivery delivery)
    {
        var edited = delivery.Change == MessageChange.Edited;
        var payload = delivery.Payload ?? [];
        if (edited)
        {
            CheckData(delivery.DataType, payload);
        }

        return Write(edited ? 8 : 6, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
            Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MessageChangedUtf8);
            Pair(ref w, WebPubSubFields.GroupUtf8, delivery.Group);
            Pair(ref w, WebPubSubFields.MessageIdUtf8, delivery.ChangedMessageId);
            Pair(ref w, WebPubSubFields.ChangeUtf8, edited ? WebPubSubMessageChanges.EditedUtf8 : WebPubSubMessageChanges.DeletedUtf8);
            Pair(ref w, WebPubSubFields.FromUserIdUtf8, delivery.FromUserId);
            if (edited)
            {
                WriteData(ref w, delivery.DataType, payload);
            }
        });
    }
}
