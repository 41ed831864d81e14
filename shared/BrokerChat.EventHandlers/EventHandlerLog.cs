using Microsoft.Extensions.Logging;

namespace BrokerChat.EventHandlers;

/// <summary>Log messages of the event-handler client. Event ids 410–419. Handlers are named by hub and index, never by URL: it may carry a key.</summary>
internal static partial class EventHandlerLog
{
    [LoggerMessage(410, LogLevel.Warning, "Event handler {Index} of hub {Hub} failed {Failures} times in a row; calls to it are refused for {Seconds} s, then tried one at a time.", EventName = "EventHandlerBroken")]
    public static partial void Broken(ILogger logger, string hub, int index, int failures, double seconds);

    [LoggerMessage(411, LogLevel.Warning, "Event handler {Index} of hub {Hub} answered the abuse-protection check with {StatusCode} and did not allow the origin {Origin}; events are not sent to it.", EventName = "EventHandlerValidationRefused")]
    public static partial void ValidationRefused(ILogger logger, string hub, int index, int statusCode, string origin);

    [LoggerMessage(412, LogLevel.Information, "Hub {Hub} sends events to {Count} event handler(s) over HTTP.", EventName = "EventHandlersConfigured")]
    public static partial void Configured(ILogger logger, string hub, int count);
}
