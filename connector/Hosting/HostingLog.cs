using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Hosting;

/// <summary>Log messages of the connector process. Event ids 208, 209, 261 (the connector's are 200–299).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(208, LogLevel.Warning, "Access keys are not configured: tokens are signed with a key made at startup, which only this process accepts. Set Auth:AccessKeys for more than one connector.", EventName = "EphemeralKey")]
    public static partial void EphemeralKey(ILogger logger);

    [LoggerMessage(209, LogLevel.Information, "BrokerChat is running. Open {Url} to chat.", EventName = "Running")]
    public static partial void Running(ILogger logger, string url);

    [LoggerMessage(261, LogLevel.Information, "Access keys reloaded from configuration: {Count} accepted.", EventName = "AccessKeysReloaded")]
    public static partial void AccessKeysReloaded(ILogger logger, int count);
}
