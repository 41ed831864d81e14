using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Connector.Frames;

// The messageChanged system message: a group message was edited or deleted.
internal sealed partial class JsonFrameWriter
{
    /// <inheritdoc />
    public override byte[] MessageChanged(Delivery delivery) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MessageChangedUtf8);
        w.WriteString(WebPubSubFields.GroupUtf8, delivery.Group);
        w.WriteString(WebPubSubFields.MessageIdUtf8, delivery.ChangedMessageId);
        var edited = delivery.Change == MessageChange.Edited;
        w.WriteString(WebPubSubFields.ChangeUtf8, edited ? WebPubSubMessageChanges.EditedUtf8 : WebPubSubMessageChanges.DeletedUtf8);
        if (delivery.FromUserId is null)
        {
            w.WriteNull(WebPubSubFields.FromUserIdUtf8);
        }
        else
        {
            w.WriteString(WebPubSubFields.FromUserIdUtf8, delivery.FromUserId);
        }

        if (edited)
        {
            WriteData(w, delivery.DataType, delivery.Payload ?? []);
        }
    });
}
