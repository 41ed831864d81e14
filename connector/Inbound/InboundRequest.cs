using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Inbound;

/// <summary>
/// What a client asked for, as it goes to the inbound topic: the request's own fields, to which the publisher adds
/// the connection's identity and the time it arrived.
/// </summary>
/// <param name="Kind">A group message, an event, an invocation or its cancellation, an edit or a delete of a group message.</param>
/// <param name="Group">The target group of a group message.</param>
/// <param name="EventName">The name of an event.</param>
/// <param name="DataType">How <paramref name="Data"/> is encoded.</param>
/// <param name="Data">The payload.</param>
/// <param name="NoEcho">Whether the sender is left out of a group message's recipients.</param>
/// <param name="AckId">The client's ack id, when it wants an acknowledgement.</param>
/// <param name="InvocationId">The invocation an <c>invoke</c> or a <c>cancelInvocation</c> is about.</param>
/// <param name="ChangedMessageId">The group message an <c>editMessage</c> or a <c>deleteMessage</c> changes.</param>
internal readonly record struct InboundRequest(
    InboundKind Kind, string? Group, string? EventName, DataType DataType, byte[] Data, bool NoEcho, ulong? AckId, string? InvocationId = null, string? ChangedMessageId = null);
