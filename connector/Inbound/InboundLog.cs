using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Inbound;

/// <summary>Log messages of the inbound publisher. Event ids 203 and 211 (the connector's are 200–299).</summary>
internal static partial class InboundLog
{
    [LoggerMessage(203, LogLevel.Warning, "Kafka did not accept a request of connection {ConnectionId}: {Reason}.", EventName = "ProduceRejected")]
    public static partial void ProduceRejected(ILogger logger, string connectionId, string reason);

    [LoggerMessage(211, LogLevel.Debug, "The {Event} record of connection {ConnectionId} was skipped: the inbound bound is full or Kafka refused it.", EventName = "ConnectionEventSkipped")]
    public static partial void ConnectionEventSkipped(ILogger logger, string @event, string connectionId);
}
