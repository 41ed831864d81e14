using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Hubs;

/// <summary>Log messages of the application's hubs (event ids 391–399, within the functions' 300–399).</summary>
internal static partial class HubsLog
{
    [LoggerMessage(391, LogLevel.Error, "The connect handler of hub {Hub} failed; the client is refused.", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string hub, Exception exception);
}
