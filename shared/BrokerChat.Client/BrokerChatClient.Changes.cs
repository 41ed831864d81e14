using BrokerChat.Client.Protocol;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client;

// Changes of stored group messages (BrokerChat): a sender edits or deletes its own messages, and every member hears of
// any change, the backend's included.
public sealed partial class BrokerChatClient
{
    /// <summary>
    /// A message of a group this client is in was edited or deleted (BrokerChat). Raised on the receive loop, in the
    /// order the server sent it: after the message it changes. Not part of the reliable stream: a change made while the
    /// client was away is not replayed when it recovers, so page the group's history again when exactness matters.
    /// </summary>
    public event Func<BrokerChatMessageChangedEventArgs, Task>? MessageChanged;

    /// <summary>Replaces the content of one of this client's own stored messages of a group (BrokerChat).</summary>
    /// <param name="group">The group the message was sent to.</param>
    /// <param name="messageId">The message's id, as the group's history has it.</param>
    /// <param name="data">The new content: UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the new content is to be read.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">
    /// The server refused it (<c>Forbidden</c>: not this user's message, or no permission to send to the group;
    /// <c>NotFound</c>: no such message, or a hub without history; <c>BadRequest</c>: malformed or too large), or the
    /// connection was lost for good.
    /// </exception>
    public Task<WebPubSubResult> EditMessageAsync(string group, string messageId, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ValidateData(data.Span, dataType);
        return SendWithAckAsync(id => _codec.EditMessage(group, messageId, dataType, data.Span, id), ackId, cancellationToken);
    }

    /// <summary>Deletes one of this client's own stored messages of a group (BrokerChat); a tombstone stays in the history.</summary>
    /// <param name="group">The group the message was sent to.</param>
    /// <param name="messageId">The message's id, as the group's history has it.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused it (as for <see cref="EditMessageAsync"/>), or the connection was lost for good.</exception>
    public Task<WebPubSubResult> DeleteMessageAsync(string group, string messageId, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return SendWithAckAsync(id => _codec.DeleteMessage(group, messageId, id), ackId, cancellationToken);
    }

    /// <summary>Raises <see cref="MessageChanged"/> for a well-formed <c>messageChanged</c> frame.</summary>
    private Task RaiseMessageChangedAsync(ServerFrame frame) =>
        RaiseAsync(MessageChanged, new BrokerChatMessageChangedEventArgs(
            frame.Group!, frame.MessageId!,
            frame.Change == WebPubSubMessageChanges.Edited ? BrokerChatMessageChangeKind.Edited : BrokerChatMessageChangeKind.Deleted,
            frame.FromUserId, frame.Change == WebPubSubMessageChanges.Edited ? frame.DataType : null, frame.Data));
}
