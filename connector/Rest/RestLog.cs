using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Rest;

/// <summary>Log messages of the REST API. Event ids 260, 262, 264, 265 (the connector's are 200–299).</summary>
internal static partial class RestLog
{
    [LoggerMessage(260, LogLevel.Information, "REST request {Method} {Path} refused with 401: {Reason}", EventName = "RestUnauthorized")]
    public static partial void RestUnauthorized(ILogger logger, string method, string path, string reason);

    [LoggerMessage(262, LogLevel.Warning, "Kafka did not accept a REST request: {Reason}.", EventName = "RestProduceRejected")]
    public static partial void RestProduceRejected(ILogger logger, string reason);

    [LoggerMessage(264, LogLevel.Debug, "Query {Command} {QueryId} ended after {Answers} of {Expected} connectors answered, found: {Found}", EventName = "HolderAsked")]
    public static partial void HolderAsked(ILogger logger, DeliveryCommand command, string queryId, int answers, int expected, bool found);

    [LoggerMessage(265, LogLevel.Information, "Connection {ConnectionId}: {Command} {Permission} for {Group}: {Outcome}", EventName = "PermissionChanged")]
    public static partial void PermissionChanged(ILogger logger, string connectionId, DeliveryCommand command, GroupPermission permission, string group, string outcome);
}
