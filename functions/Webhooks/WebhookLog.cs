using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Webhooks;

/// <summary>
/// Log messages of the workers' calls to hubs' event handlers. Event ids 420–429. A handler is named by hub and index,
/// never by URL (it may carry a key); an event by its record (partition-offset, its <c>ce-id</c>).
/// </summary>
internal static partial class WebhookLog
{
    [LoggerMessage(420, LogLevel.Warning, "Event handler {Index} of hub {Hub} answered {Status} to {Event} of connection {ConnectionId} (ce-id {EventId}); the record is tried again, and set aside when its tries run out.", EventName = "EventHandlerFailed")]
    public static partial void Failed(ILogger logger, string hub, int index, int status, string @event, string connectionId, string eventId);

    [LoggerMessage(421, LogLevel.Warning, "{Event} of connection {ConnectionId} (ce-id {EventId}) was not delivered: {Reason} The record is tried again, and set aside when its tries run out.", EventName = "EventHandlerUnavailable")]
    public static partial void Unavailable(ILogger logger, string @event, string connectionId, string eventId, string reason);

    [LoggerMessage(422, LogLevel.Debug, "Event handler {Index} of hub {Hub} refused {Event} of connection {ConnectionId} with {Status}; the client is told.", EventName = "EventHandlerRefused")]
    public static partial void Refused(ILogger logger, string hub, int index, string @event, string connectionId, int status);

    [LoggerMessage(423, LogLevel.Warning, "Event handler {Index} of hub {Hub} answered {Event} of connection {ConnectionId} with a body of media type {MediaType} that is not valid as such; it is sent to the client as {DataType}.", EventName = "EventHandlerAnswerRetyped")]
    public static partial void Retyped(ILogger logger, string hub, int index, string @event, string connectionId, string? mediaType, string dataType);
}
