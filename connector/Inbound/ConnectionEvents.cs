using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Inbound;

/// <summary>
/// Tells the functions that a client connection opened (<see cref="InboundKind.Connected"/>) or ended for good
/// (<see cref="InboundKind.Disconnected"/>), keyed by the connection so <c>connected</c> comes before the connection's
/// events and <c>disconnected</c> after them. A connection's life never waits for Kafka: when the inbound bound is
/// full the record is skipped, counted and logged at debug level. Off with <see cref="ConnectorOptions.ConnectionEvents"/>.
/// </summary>
internal sealed class ConnectionEvents(InboundPublisher publisher, ConnectorMetrics metrics, IOptions<ConnectorOptions> options, ILogger<ConnectionEvents> logger)
{
    private readonly bool _enabled = options.Value.ConnectionEvents;

    /// <summary>A fresh connection was registered, with the groups it joined at connect; called before its receive loop starts.</summary>
    public void Connected(ClientConnection connection, string[] groups)
    {
        if (!_enabled)
        {
            return;
        }

        // Announced only when produced, so the functions never hear of an end without its start.
        connection.Announced = Publish(connection, new InboundFrame
        {
            Kind = InboundKind.Connected,
            Groups = groups.Length == 0 ? null : groups,
            Subprotocol = connection.Protocol.Name,
        });
    }

    /// <summary>A connection the functions were told of ended for good (not a reliable session waiting to be resumed), for <paramref name="reason"/>.</summary>
    public void Disconnected(ClientConnection connection, string reason)
    {
        if (_enabled && connection.Announced)
        {
            connection.Announced = false;
            Publish(connection, new InboundFrame { Kind = InboundKind.Disconnected, Reason = reason });
        }
    }

    private bool Publish(ClientConnection connection, InboundFrame frame)
    {
        frame.Hub = connection.Hub;
        frame.ConnectionId = connection.Id;
        frame.UserId = connection.UserId;
        frame.Roles = connection.Roles;
        bool produced;
        try
        {
            produced = publisher.TryPublish(connection, frame);
        }
        catch (ObjectDisposedException)
        {
            produced = false; // the host is stopping
        }

        if (!produced)
        {
            var kind = frame.Kind == InboundKind.Connected ? "connected" : "disconnected";
            metrics.ConnectionEventSkipped(kind);
            InboundLog.ConnectionEventSkipped(logger, kind, connection.Id);
        }

        return produced;
    }
}
