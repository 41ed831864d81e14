using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Filters;

/// <summary>Which of a delivery's target connections get it: not the excluded ones, and only those its filter accepts.</summary>
internal static class Recipients
{
    private static readonly HashSet<string> NoGroups = [];

    /// <summary>The delivery's filter, parsed; null when it has none or it cannot be parsed (<paramref name="invalid"/> says which).</summary>
    public static ODataFilter? FilterOf(Delivery delivery, out string? invalid)
    {
        invalid = null;
        if (delivery.Filter is not { } text)
        {
            return null;
        }

        try
        {
            return ODataFilter.Parse(text);
        }
        catch (FilterException ex)
        {
            invalid = ex.Message;
            return null;
        }
    }

    /// <summary>The delivery's filter, parsed; a filter that cannot be parsed accepts nobody.</summary>
    public static ODataFilter? FilterOf(Delivery delivery) => FilterOf(delivery, out var invalid) ?? (invalid is null ? null : RejectAll);

    /// <summary>Whether <paramref name="connection"/> gets the delivery (<paramref name="filter"/> = its parsed filter).</summary>
    public static bool Accepts(Delivery delivery, ClientConnection connection, ODataFilter? filter)
    {
        if (connection.Id == delivery.ExcludedConnectionId
            || (delivery.ExcludedConnectionIds is { } excluded && Array.IndexOf(excluded, connection.Id) >= 0))
        {
            return false;
        }

        return filter is null || filter.Matches(new FilterSubject(connection.Id, connection.UserId, connection.HasGroups ? connection.Groups : NoGroups));
    }


    /// <summary>The connections held here that a delivery's target names.</summary>
    public static ClientConnection[] Targets(ConnectionIndex connections, Delivery delivery) => delivery.Target switch
    {
        DeliveryTarget.Group when delivery.Command is DeliveryCommand.None or DeliveryCommand.Close or DeliveryCommand.MessageChanged && delivery.Group is { } group => connections.GroupMembers(delivery.Hub, group),
        DeliveryTarget.User when delivery.UserId is { } user => connections.UserConnections(delivery.Hub, user),
        // Connection ids are unique across hubs, but a request for one hub must not reach another hub's connection.
        DeliveryTarget.Connection when delivery.ConnectionId is { } id => connections.TryGet(id, out var one) && one.Hub == delivery.Hub ? [one] : [],
        DeliveryTarget.All => connections.HubConnections(delivery.Hub),
        _ => [],
    };

    private static readonly ODataFilter RejectAll = ODataFilter.Parse("connectionId eq null");
}
