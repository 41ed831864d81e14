using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Upstream;

/// <summary>Log messages of the HTTP event handlers. Event ids 245, 246 (the connector's are 200–299). URLs are never logged: they may carry a key.</summary>
internal static partial class UpstreamLog
{
    [LoggerMessage(245, LogLevel.Information, "The event handler of hub {Hub} refused connection {ConnectionId} with {StatusCode}.", EventName = "UpstreamConnectRefused")]
    public static partial void ConnectRefused(ILogger logger, string hub, string connectionId, int statusCode);

    [LoggerMessage(246, LogLevel.Information, "Hub {Hub} asks its event handler over HTTP whether clients may connect.", EventName = "UpstreamConnectConfigured")]
    public static partial void ConnectConfigured(ILogger logger, string hub);
}
