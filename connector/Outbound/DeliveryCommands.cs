using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.Sessions;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Outbound;

/// <summary>
/// The commands read from the outbound topic (the REST API's add to or remove from a group and close; an event
/// handler's new connection state), carried out for the target's connections held here, and the ends of reliable
/// sessions the server closed on any connector (<see cref="EndedSessions"/>). Granted by the application's backend, so no join permission is checked and no
/// per-connection group bound applies.
/// </summary>
internal sealed class DeliveryCommands(ConnectionIndex connections, GroupMembership membership, EndedSessions ended, ILogger<DeliveryCommands> logger)
{
    /// <summary>Carries out a REST command (join, leave, close) for the target's connections held here. Under the outbound gate.</summary>
    public void Apply(Delivery delivery, int partition, long offset)
    {
        if (delivery.Command == DeliveryCommand.SessionEnded)
        {
            ended.Apply(delivery);
            return;
        }

        var filter = Recipients.FilterOf(delivery, out var invalid);
        if (invalid is not null)
        {
            OutboundLog.BadDeliveryFilter(logger, partition, offset, invalid);
            return;
        }

        foreach (var connection in Recipients.Targets(connections, delivery))
        {
            if (!Recipients.Accepts(delivery, connection, filter))
            {
                continue;
            }

            switch (delivery.Command)
            {
                case DeliveryCommand.AddToGroup when delivery.Group is { } group:
                    // Granted by the application's backend: no join permission, and no per-connection group bound.
                    membership.Join(connection, group, int.MaxValue);
                    break;
                case DeliveryCommand.RemoveFromGroup:
                    foreach (var group in delivery.Group is { } one ? [one] : connection.HasGroups ? connection.Groups.ToArray() : [])
                    {
                        membership.Leave(connection, group);
                    }

                    break;
                case DeliveryCommand.SetConnectionState:
                    if (delivery.ConnectionState is { Length: > WebPubSubCloudEvents.MaxConnectionStateLength } tooLarge)
                    {
                        OutboundLog.ConnectionStateTooLarge(logger, connection.Id, tooLarge.Length, WebPubSubCloudEvents.MaxConnectionStateLength);
                    }
                    else
                    {
                        connection.ConnectionState = delivery.ConnectionState;
                    }

                    break;
                case DeliveryCommand.Close:
                    ended.Close(connection, delivery.Reason ?? "Closed by the server.");
                    break;
            }
        }
    }
}
