using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Inbound;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Connector.Requests;

/// <summary>
/// A client's <c>editMessage</c> and <c>deleteMessage</c>: checked against the store (the read model) and then
/// produced to the inbound topic keyed by the room, as a <c>sendToGroup</c> is, so the change is ordered after the
/// message it changes; the functions validate it again, announce it to the group and the history function applies it.
/// Refused with <c>BadRequest</c> without a valid message id, <c>NotFound</c> when the hub keeps no history or the room
/// holds no such message (or it was deleted), <c>Forbidden</c> for an anonymous connection or someone else's message,
/// and <c>InternalServerError</c> when the store cannot be read. The caller checked the send permission for the group.
/// </summary>
internal sealed class ChangeRequests(StoredHistory history, InboundPublisher publisher, ConnectorMetrics metrics)
{
    public async ValueTask ChangeAsync(ClientConnection connection, ClientRequest request)
    {
        var group = request.Group!;
        if (!MessageIds.IsValid(request.MessageId))
        {
            Fail(connection, request, AckErrorNames.BadRequest, MessageIds.Rule);
            return;
        }

        if (!history.IsEnabled(connection.Hub))
        {
            Fail(connection, request, AckErrorNames.NotFound, $"Hub '{connection.Hub}' keeps no message history.");
            return;
        }

        if (connection.UserId is null)
        {
            Fail(connection, request, AckErrorNames.Forbidden, "Only a message's sender may change it, and an anonymous connection has sent none.");
            return;
        }

        var (outcome, message) = await history.FindAsync(connection.Hub, group, request.MessageId!, connection.Aborted).ConfigureAwait(false);
        if (outcome == StoredLookup.Unavailable)
        {
            Fail(connection, request, AckErrorNames.InternalServerError, "The message history cannot be read now; try again later.");
            return;
        }

        if (message is null || message.IsDeleted)
        {
            Fail(connection, request, AckErrorNames.NotFound, $"Group '{group}' holds no message '{request.MessageId}'.");
            return;
        }

        if (!string.Equals(message.FromUserId, connection.UserId, StringComparison.Ordinal))
        {
            Fail(connection, request, AckErrorNames.Forbidden, $"Message '{request.MessageId}' was sent by someone else; only its sender may change it.");
            return;
        }

        var kind = request.Type == ClientRequestType.EditMessage ? InboundKind.EditMessage : InboundKind.DeleteMessage;
        await publisher.PublishAsync(connection, request.ToInbound(kind) with { NoEcho = false }, connection.Aborted).ConfigureAwait(false);
    }

    private void Fail(ClientConnection connection, ClientRequest request, string name, string message)
    {
        metrics.RequestRejected(name switch
        {
            AckErrorNames.Forbidden => "forbidden",
            AckErrorNames.NotFound => "not_found",
            AckErrorNames.BadRequest => "bad_request",
            _ => "unavailable",
        });
        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(connection.Writer.AckError(ackId, name, message));
        }
    }
}
