using System.Text.Unicode;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// The rules every request must pass before it is delivered: payload size, payload matching its data type, group
/// and event names, and the sender's permission (from the roles its token granted).
/// </summary>
public sealed class FrameValidator(IOptions<FunctionsOptions> options)
{
    private readonly int _maxMessageBytes = options.Value.MaxMessageBytes;

    /// <summary>Returns null when the request may be delivered, or the reason it may not.</summary>
    public Rejection? Validate(InboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!Enum.IsDefined(frame.Kind))
        {
            return Bad($"Unknown request kind {(int)frame.Kind}.");
        }

        if (!HubNames.IsValid(frame.Hub))
        {
            return Bad("Invalid hub name.");
        }

        if (frame.Kind is InboundKind.Connected or InboundKind.Disconnected or InboundKind.CancelInvocation)
        {
            return ValidateRecord(frame);
        }

        if (frame.Payload.Length > _maxMessageBytes)
        {
            return Bad($"The message of {frame.Payload.Length} bytes exceeds the limit of {_maxMessageBytes} bytes.");
        }

        // An invocation may carry no data at all, and a delete carries none.
        if (!(frame.Kind == InboundKind.Invoke && frame.Payload.Length == 0) && frame.Kind != InboundKind.DeleteMessage && PayloadError(frame) is { } payloadError)
        {
            return Bad(payloadError);
        }

        switch (frame.Kind)
        {
            case InboundKind.SendToGroup:
                if (!GroupNames.IsValid(frame.Group))
                {
                    return Bad("Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.");
                }

                if (!Permissions.CanSendToGroup(frame.Roles, frame.Group!))
                {
                    return new Rejection(AckErrorNames.Forbidden, $"The client does not have permission to send to group '{frame.Group}'.");
                }

                return null;

            case InboundKind.Event:
                return EventNames.IsValid(frame.EventName) ? null : Bad(InvalidEventName);

            case InboundKind.Invoke:
                return !IsInvocationId(frame.InvocationId) ? Bad(InvalidInvocationId)
                    : EventNames.IsValid(frame.EventName) ? null : Bad(InvalidEventName);

            case InboundKind.EditMessage or InboundKind.DeleteMessage:
                return ValidateChange(frame);

            default:
                return Bad($"Unknown request kind {(int)frame.Kind}.");
        }
    }

    /// <summary>Longest invocation id, in characters.</summary>
    public const int MaxInvocationIdLength = 128;

    private const int MaxConnectGroups = 1000;
    private const int MaxReasonLength = 1024;
    private const string InvalidEventName = "Invalid event name: it must match ^[a-z][a-z0-9_.-]{0,127}$.";
    private const string InvalidInvocationId = "An invocation needs an invocationId of 1 to 128 characters.";

    /// <summary>Null when the payload is within the size limit and matches its data type, or why it is not.</summary>
    public string? PayloadProblem(InboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Payload.Length > _maxMessageBytes
            ? $"The message of {frame.Payload.Length} bytes exceeds the limit of {_maxMessageBytes} bytes."
            : PayloadError(frame);
    }

    private static string? PayloadError(InboundFrame frame)
    {
        switch (frame.DataType)
        {
            case DataType.Json:
                return JsonPayload.IsSingleValue(frame.Payload) ? null : "The data is not a single valid JSON value.";
            case DataType.Text:
                return Utf8.IsValid(frame.Payload) ? null : "The text data is not valid UTF-8.";
            case DataType.Binary:
                return null;
            default:
                return $"Unknown data type {(int)frame.DataType}.";
        }
    }

    /// <summary>A connector's connection record or a cancel: no payload, only its ids.</summary>
    private static Rejection? ValidateRecord(InboundFrame frame)
    {
        if (frame.Kind == InboundKind.CancelInvocation)
        {
            return IsInvocationId(frame.InvocationId) ? null : Bad(InvalidInvocationId);
        }

        return IsId(frame.ConnectionId) && frame.Groups is not { Length: > MaxConnectGroups } && frame.Reason is not { Length: > MaxReasonLength }
            ? null : Bad("Malformed connection record.");
    }

    /// <summary>
    /// A client's edit or delete: a valid group and message id, the send permission for the group, and a user id (only
    /// a message's sender may change it, and an anonymous connection is nobody's sender).
    /// </summary>
    private static Rejection? ValidateChange(InboundFrame frame)
    {
        if (!GroupNames.IsValid(frame.Group))
        {
            return Bad("Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.");
        }

        if (!MessageIds.IsValid(frame.ChangedMessageId))
        {
            return Bad(MessageIds.Rule);
        }

        if (!Permissions.CanSendToGroup(frame.Roles, frame.Group!))
        {
            return new Rejection(AckErrorNames.Forbidden, $"The client does not have permission to send to group '{frame.Group}'.");
        }

        return string.IsNullOrEmpty(frame.UserId)
            ? new Rejection(AckErrorNames.Forbidden, "Only a message's sender may change it, and an anonymous connection has sent none.")
            : null;
    }

    private static bool IsInvocationId(string? id) => id is { Length: > 0 and <= MaxInvocationIdLength };

    private static bool IsId(string? id) => id is { Length: > 0 and <= 256 };

    private static Rejection Bad(string message) => new(AckErrorNames.BadRequest, message);
}
