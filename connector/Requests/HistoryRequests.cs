using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using BrokerChat.History;

namespace BrokerChat.Connector.Requests;

/// <summary>
/// Answers a client's <c>listMessages</c>: a page of the group's stored history in a <c>messages</c> system message,
/// then the ack. Refused with <c>BadRequest</c> for a malformed cursor, both cursors at once or a limit past
/// <see cref="HistoryOptions.MaxPageSize"/>; with <c>NotFound</c> when the hub keeps no history; with
/// <c>InternalServerError</c> when the store cannot be read. The caller checked the group access (members of the group
/// or holders of its join role).
/// </summary>
internal sealed class HistoryRequests(StoredHistory history)
{
    public async ValueTask ListMessagesAsync(ClientConnection connection, ClientRequest request)
    {
        var group = request.Group!;
        if (!history.IsEnabled(connection.Hub))
        {
            Fail(connection, request, AckErrorNames.NotFound, $"Hub '{connection.Hub}' keeps no message history.");
            return;
        }

        if (request.Before is not null && request.After is not null)
        {
            Fail(connection, request, AckErrorNames.BadRequest, "A page goes either before or after a cursor, not both.");
            return;
        }

        var text = request.Before ?? request.After;
        long? cursor = null;
        if (text is not null)
        {
            if (!HistoryCursor.TryParse(text, out var parsed, out var cursorError))
            {
                Fail(connection, request, AckErrorNames.BadRequest, cursorError!);
                return;
            }

            cursor = parsed;
        }

        if (!HistoryCursor.TryLimit(request.Limit, history.Options, out var limit, out var limitError))
        {
            Fail(connection, request, AckErrorNames.BadRequest, limitError!);
            return;
        }

        var direction = request.After is not null ? PageDirection.After : PageDirection.Before;
        var page = await history.PageAsync(connection.Hub, group, direction, cursor, limit, connection.Aborted).ConfigureAwait(false);
        if (page is null)
        {
            Fail(connection, request, AckErrorNames.InternalServerError, "The message history cannot be read now; try again later.");
            return;
        }

        connection.TryEnqueue(connection.Writer.Messages(group, request.AckId, page));
        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(connection.Writer.AckSuccess(ackId));
        }
    }

    private static void Fail(ClientConnection connection, ClientRequest request, string name, string message)
    {
        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(connection.Writer.AckError(ackId, name, message));
        }
    }
}
