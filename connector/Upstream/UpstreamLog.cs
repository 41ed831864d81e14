using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Upstream;

/// <summary>Log messages of the hubs' event handlers as the connector calls them. Event ids 245–248 (the connector's are 200–299). URLs are never logged: they may carry a key.</summary>
internal static partial class UpstreamLog
{
    [LoggerMessage(245, LogLevel.Information, "The event handler of hub {Hub} refused connection {ConnectionId} with {StatusCode}.", EventName = "UpstreamConnectRefused")]
    public static partial void ConnectRefused(ILogger logger, string hub, string connectionId, int statusCode);

    [LoggerMessage(246, LogLevel.Information, "Hub {Hub} asks its event handler over HTTP whether clients may connect.", EventName = "UpstreamConnectConfigured")]
    public static partial void ConnectConfigured(ILogger logger, string hub);

    [LoggerMessage(247, LogLevel.Warning, "The event handler of hub {Hub} could not decide on connection {ConnectionId}, which is refused with {StatusCode}: {Reason}", EventName = "UpstreamConnectUnavailable")]
    public static partial void ConnectUnavailable(ILogger logger, string hub, string connectionId, int statusCode, string reason);

    [LoggerMessage(248, LogLevel.Warning, "The event handler of hub {Hub} set a connection state of {Length} characters on connection {ConnectionId}, more than the {Limit} allowed; the connection is refused.", EventName = "UpstreamConnectStateTooLarge")]
    public static partial void ConnectStateTooLarge(ILogger logger, string hub, string connectionId, int length, int limit);
}
