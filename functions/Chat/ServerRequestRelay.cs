using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// Passes the REST API's requests (<see cref="InboundKind.SendToAll"/> and the kinds after it) on to every connector as
/// one <see cref="Delivery"/> each: messages for a target, group membership changes and closes. They come from the
/// application's backend through a connector that checked the access key, so client roles and moderation do not apply;
/// the connector validated them too, and a record that is still malformed is dropped (the REST caller already had its
/// 202). A send's <c>messageTtlSeconds</c> becomes the delivery's <see cref="Delivery.ExpiresAt"/>, counted from when
/// the connector accepted the call; the connectors drop the message once it passed.
/// </summary>
internal static class ServerRequestRelay
{
    /// <summary>Most connection ids one request may exclude.</summary>
    public const int MaxExcluded = 1000;

    /// <summary>Longest filter, in characters.</summary>
    public const int MaxFilterLength = 4096;

    private const int MaxIdLength = 256;
    private const int MaxReasonLength = 512;

    /// <summary>Longest <c>messageTtlSeconds</c> the REST API accepts.</summary>
    public const int MaxMessageTtlSeconds = 300;

    /// <summary>Whether the kind is one of the REST API's.</summary>
    public static bool IsServerRequest(InboundKind kind) =>
        kind is (>= InboundKind.SendToAll and <= InboundKind.CloseConnections) or InboundKind.ServerEditMessage or InboundKind.ServerDeleteMessage;

    /// <summary>The delivery for a REST request, or none when it is malformed.</summary>
    public static IReadOnlyList<Delivery> Handle(InboundFrame frame, InboundPosition position, long now, FrameValidator validator)
    {
        if (!HubNames.IsValid(frame.Hub) || frame.ExcludedConnectionIds is { Length: > MaxExcluded }
            || frame.Filter is { Length: > MaxFilterLength } || frame.Reason is { Length: > MaxReasonLength }
            || frame.MessageTtlSeconds is < 0 or > MaxMessageTtlSeconds)
        {
            return [];
        }

        var delivery = new Delivery
        {
            Hub = frame.Hub,
            MessageId = position.MessageId(),
            ProducedAt = now,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
            ExcludedConnectionIds = frame.ExcludedConnectionIds,
            Filter = frame.Filter,
        };
        switch (frame.Kind)
        {
            case InboundKind.SendToAll:
                delivery.Target = DeliveryTarget.All;
                return Message(frame, delivery, validator);
            case InboundKind.SendToUser when IsId(frame.UserId):
                delivery.Target = DeliveryTarget.User;
                delivery.UserId = frame.UserId;
                return Message(frame, delivery, validator);
            case InboundKind.SendToConnection when IsId(frame.ConnectionId):
                delivery.Target = DeliveryTarget.Connection;
                delivery.ConnectionId = frame.ConnectionId;
                return Message(frame, delivery, validator);
            case InboundKind.ServerSendToGroup when GroupNames.IsValid(frame.Group):
                delivery.Target = DeliveryTarget.Group;
                delivery.Group = frame.Group;
                return Message(frame, delivery, validator);
            case InboundKind.AddToGroup when GroupNames.IsValid(frame.Group):
            case InboundKind.RemoveFromGroup when frame.Group is null || GroupNames.IsValid(frame.Group):
                if (frame.Target is not (DeliveryTarget.Connection or DeliveryTarget.User or DeliveryTarget.All))
                {
                    return [];
                }

                delivery.Command = frame.Kind == InboundKind.AddToGroup ? DeliveryCommand.AddToGroup : DeliveryCommand.RemoveFromGroup;
                delivery.Group = frame.Group;
                return Command(frame, delivery);
            case InboundKind.CloseConnections:
                if (frame.Target == DeliveryTarget.Group && !GroupNames.IsValid(frame.Group))
                {
                    return [];
                }

                delivery.Command = DeliveryCommand.Close;
                delivery.Group = frame.Target == DeliveryTarget.Group ? frame.Group : null;
                delivery.Reason = frame.Reason;
                return Command(frame, delivery);
            case InboundKind.ServerEditMessage or InboundKind.ServerDeleteMessage:
                return GroupNames.IsValid(frame.Group) && MessageIds.IsValid(frame.ChangedMessageId)
                    && (frame.Kind == InboundKind.ServerDeleteMessage || validator.PayloadProblem(frame) is null)
                    ? [MessageChanges.Changed(frame, position, now)]
                    : [];
            default:
                return [];
        }
    }

    private static IReadOnlyList<Delivery> Message(InboundFrame frame, Delivery delivery, FrameValidator validator)
    {
        if (validator.PayloadProblem(frame) is not null)
        {
            return [];
        }

        delivery.DataType = frame.DataType;
        delivery.Payload = frame.Payload;
        delivery.ExpiresAt = frame.MessageTtlSeconds > 0 ? frame.ReceivedAt + (frame.MessageTtlSeconds * 1000L) : 0;
        return [delivery];
    }

    private static IReadOnlyList<Delivery> Command(InboundFrame frame, Delivery delivery)
    {
        delivery.Target = frame.Target;
        switch (frame.Target)
        {
            case DeliveryTarget.Connection when IsId(frame.ConnectionId):
                delivery.ConnectionId = frame.ConnectionId;
                break;
            case DeliveryTarget.User when IsId(frame.UserId):
                delivery.UserId = frame.UserId;
                break;
            case DeliveryTarget.All or DeliveryTarget.Group:
                break;
            default:
                return [];
        }

        delivery.HasMessage = false;
        return [delivery];
    }

    private static bool IsId(string? id) => !string.IsNullOrEmpty(id) && id.Length <= MaxIdLength;
}
