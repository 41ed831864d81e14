using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.LocalRun;

/// <summary>Log messages of a local run. Event ids 212, 213, 214 (the connector's are 200–299).</summary>
internal static partial class LocalRunLog
{
    [LoggerMessage(212, LogLevel.Information, "Connection string for apps using @azure/web-pubsub (WebPubSubServiceClient): {ConnectionString}", EventName = "LocalConnectionString")]
    public static partial void ConnectionString(ILogger logger, string connectionString);

    [LoggerMessage(213, LogLevel.Information, "HTTPS uses the development certificate {Path}; trust it in Node with NODE_EXTRA_CA_CERTS={Path}", EventName = "LocalCertificate")]
    public static partial void Certificate(ILogger logger, string path);

    [LoggerMessage(214, LogLevel.Information, "No access key is configured: tokens are signed with the local key kept in {Path} (the same after a restart; delete the file for a new one).", EventName = "LocalAccessKey")]
    public static partial void AccessKey(ILogger logger, string path);
}
