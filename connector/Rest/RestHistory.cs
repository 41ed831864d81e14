using System.Text.Json;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.History;
using Microsoft.AspNetCore.Http;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// The REST API's room history, for the application's backend (access-key token, as the rest of the API):
/// <c>GET /api/hubs/{hub}/groups/{group}/messages?limit=&amp;before=&amp;after=</c> pages a group's stored messages
/// (JSON <c>{"value":[…],"nextLink":…}</c>, oldest first within a page), <c>DELETE …/groups/{group}/messages/{id}</c>
/// deletes one (a tombstone stays) and <c>PUT …/groups/{group}/messages/{id}</c> replaces its content with the body,
/// both through Kafka as a client's change goes (announced to the group, applied by the history function), and
/// <c>DELETE /api/hubs/{hub}/users/{user}/messages</c> deletes every message a user sent in the hub (erasure requests),
/// written to the store at once and announced to nobody.
/// </summary>
internal sealed class RestHistory(StoredHistory history, HistoryStore store, ServerRequestPublisher publisher, TimeProvider clock)
{
    /// <summary>Answers a page request; <paramref name="error"/> is called for a refusal (status, code, message).</summary>
    public async Task ListAsync(HttpContext context, string hub, string hubName, string group, Func<int, string, string, Task> error)
    {
        if (!history.IsEnabled(hub))
        {
            await error(StatusCodes.Status404NotFound, "NotFound", $"Hub '{hubName}' keeps no message history.");
            return;
        }

        var query = context.Request.Query;
        var before = query["before"].ToString();
        var after = query["after"].ToString();
        if (before.Length > 0 && after.Length > 0)
        {
            await error(StatusCodes.Status400BadRequest, "BadRequest", "A page goes either before or after a cursor, not both.");
            return;
        }

        long? cursor = null;
        if ((before.Length > 0 ? before : after) is { Length: > 0 } text)
        {
            if (!HistoryCursor.TryParse(text, out var parsed, out var cursorError))
            {
                await error(StatusCodes.Status400BadRequest, "BadRequest", cursorError!);
                return;
            }

            cursor = parsed;
        }

        int? requested = null;
        if (query["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                await error(StatusCodes.Status400BadRequest, "BadRequest", $"The limit must be between 1 and {history.Options.MaxPageSize}.");
                return;
            }

            requested = value;
        }

        if (!HistoryCursor.TryLimit(requested, history.Options, out var limit, out var limitError))
        {
            await error(StatusCodes.Status400BadRequest, "BadRequest", limitError!);
            return;
        }

        var forward = after.Length > 0;
        var page = await history.PageAsync(hub, group, forward ? PageDirection.After : PageDirection.Before, cursor, limit, context.RequestAborted);
        if (page is null)
        {
            await error(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The message history cannot be read now; retry later.");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        JsonFrameWriter.WriteMessages(json, page, "value"u8);
        if (page.Next is { } next)
        {
            var link = $"{context.Request.PathBase}/api/hubs/{Uri.EscapeDataString(hubName)}/groups/{Uri.EscapeDataString(group)}/messages" +
                $"?limit={limit}&{(forward ? "after" : "before")}={HistoryCursor.Format(next)}";
            json.WriteString("nextLink"u8, link);
        }
        else
        {
            json.WriteNull("nextLink"u8);
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Deletes one message as the backend (any sender's): checked against the store, then produced to the inbound
    /// topic keyed by the room, so it is announced to the group's members and applied by the history function. 202
    /// once Kafka holds it; 404 when the room holds no such message (or it was deleted), 503 when the store cannot be
    /// read or Kafka does not take it.
    /// </summary>
    public async Task DeleteAsync(HttpContext context, string hub, string group, string messageId, Func<int, string, string, Task> error)
    {
        if (await FoundAsync(context, hub, group, messageId, error))
        {
            await ProduceAsync(context, new InboundFrame { Kind = InboundKind.ServerDeleteMessage, Hub = hub, Group = group, ChangedMessageId = messageId }, error);
        }
    }

    /// <summary>Replaces one message's content with the request body (its content type gives the data type), as for <see cref="DeleteAsync"/>.</summary>
    public async Task EditAsync(HttpContext context, string hub, string group, string messageId, DataType dataType, byte[] body, Func<int, string, string, Task> error)
    {
        if ((dataType == DataType.Json && !JsonPayload.IsSingleValue(body)) || (dataType == DataType.Text && !System.Text.Unicode.Utf8.IsValid(body)))
        {
            await error(StatusCodes.Status400BadRequest, "BadRequest", "The body is not valid for its content type.");
            return;
        }

        if (await FoundAsync(context, hub, group, messageId, error))
        {
            await ProduceAsync(context, new InboundFrame
            {
                Kind = InboundKind.ServerEditMessage, Hub = hub, Group = group, ChangedMessageId = messageId, DataType = dataType, Payload = body,
            }, error);
        }
    }

    /// <summary>Deletes every message of a user in the hub; answers 200 with <c>{"deleted":n}</c>.</summary>
    public async Task DeleteUserAsync(HttpContext context, string hub, string userId, Func<int, string, string, Task> error)
    {
        if (!await EnabledAsync(hub, error))
        {
            return;
        }

        var deleted = await store.DeleteUserMessagesAsync(hub, userId, Now, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(new { deleted }, context.RequestAborted);
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<bool> EnabledAsync(string hub, Func<int, string, string, Task> error)
    {
        if (history.IsEnabled(hub))
        {
            return true;
        }

        await error(StatusCodes.Status404NotFound, "NotFound", $"Hub '{hub}' keeps no message history.");
        return false;
    }

    /// <summary>Whether the room holds the message, not deleted; otherwise the refusal has been answered.</summary>
    private async Task<bool> FoundAsync(HttpContext context, string hub, string group, string messageId, Func<int, string, string, Task> error)
    {
        if (!await EnabledAsync(hub, error))
        {
            return false;
        }

        if (!MessageIds.IsValid(messageId))
        {
            await error(StatusCodes.Status404NotFound, "NotFound", $"The group holds no message {messageId}.");
            return false;
        }

        var (outcome, message) = await history.FindAsync(hub, group, messageId, context.RequestAborted);
        if (outcome == StoredLookup.Unavailable)
        {
            await error(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The message history cannot be read now; retry later.");
            return false;
        }

        if (message is null || message.IsDeleted)
        {
            await error(StatusCodes.Status404NotFound, "NotFound", $"The group holds no message {messageId}.");
            return false;
        }

        return true;
    }

    private async Task ProduceAsync(HttpContext context, InboundFrame frame, Func<int, string, string, Task> error)
    {
        if (await publisher.PublishAsync(frame, context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        await error(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The request could not be handed to Kafka now; retry later.");
    }
}
