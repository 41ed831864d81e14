using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Presence;

/// <summary>Log messages of presence. Event ids 230–233 (within the connector's 200–299).</summary>
internal static partial class PresenceLog
{
    [LoggerMessage(230, LogLevel.Warning, "A presence record ({Action}) was not accepted by Kafka: {Reason}. A snapshot of this connector's members follows.", EventName = "PresenceRecordLost")]
    public static partial void RecordLost(ILogger logger, PresenceAction action, string reason);

    [LoggerMessage(231, LogLevel.Debug, "Published a presence snapshot of {Members} members over {Partitions} partitions.", EventName = "PresenceSnapshotPublished")]
    public static partial void SnapshotPublished(ILogger logger, int members, int partitions);

    [LoggerMessage(232, LogLevel.Information, "Connectors counted dead after their beacons stopped: {Connectors}; their members were removed.", EventName = "PresenceConnectorsExpired")]
    public static partial void ConnectorsExpired(ILogger logger, string connectors);

    [LoggerMessage(233, LogLevel.Information, "Connector {ConnectorId} is back after being counted dead; its snapshot was asked for.", EventName = "PresenceConnectorReturned")]
    public static partial void ConnectorReturned(ILogger logger, string connectorId);
}
