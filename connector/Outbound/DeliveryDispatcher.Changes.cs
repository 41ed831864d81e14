using BrokerChat.Connector.Filters;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Outbound;

/// <summary>
/// The announcement of an edited or deleted group message (<see cref="DeliveryCommand.MessageChanged"/>): a
/// <c>messageChanged</c> system message for every member of the group held here, encoded once per protocol and the
/// same bytes queued for each. It is not part of the reliable stream (no sequence id, not replayed on resume, as
/// presence messages are not): it changes stored history, which a client reads back with <c>listMessages</c>.
/// </summary>
internal sealed partial class DeliveryDispatcher
{
    /// <summary>Tells the group's members held here of a change. Under the outbound gate.</summary>
    private void Announce(Delivery delivery, int partition, long offset)
    {
        if (delivery is not { Target: DeliveryTarget.Group, Group: not null, ChangedMessageId: not null })
        {
            OutboundLog.BadDelivery(logger, partition, offset, "A message change names no group or message.");
            return;
        }

        byte[]? json = null;
        byte[]? messagePack = null;
        foreach (var recipient in Recipients.Targets(connections, delivery))
        {
            // Simple clients get payloads only: a change has nothing for them.
            if (recipient.IsSimple)
            {
                continue;
            }

            if (SharedFrame(recipient, delivery, static (w, d) => w.MessageChanged(d), ref json, ref messagePack, partition, offset) is not { } frame)
            {
                return;
            }

            recipient.TryEnqueueOnce(frame);
        }
    }
}
