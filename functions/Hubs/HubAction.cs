namespace BrokerChat.Functions.Hubs;

/// <summary>What a handler asked for with <see cref="HubActions"/>. Values are only ever appended.</summary>
public enum HubActionKind
{
    /// <summary>A message for every connection of the hub.</summary>
    SendToAll,

    /// <summary>A message for every member of <see cref="HubAction.Group"/>.</summary>
    SendToGroup,

    /// <summary>A message for every connection of <see cref="HubAction.UserId"/>.</summary>
    SendToUser,

    /// <summary>A message for the connection <see cref="HubAction.ConnectionId"/>.</summary>
    SendToConnection,

    /// <summary>The connection <see cref="HubAction.ConnectionId"/> joins <see cref="HubAction.Group"/>.</summary>
    AddConnectionToGroup,

    /// <summary>The connection <see cref="HubAction.ConnectionId"/> leaves <see cref="HubAction.Group"/> (every group when it is null).</summary>
    RemoveConnectionFromGroup,

    /// <summary>Every connection of <see cref="HubAction.UserId"/> joins <see cref="HubAction.Group"/>.</summary>
    AddUserToGroup,

    /// <summary>Every connection of <see cref="HubAction.UserId"/> leaves <see cref="HubAction.Group"/> (every group when it is null).</summary>
    RemoveUserFromGroup,

    /// <summary>The connection <see cref="HubAction.ConnectionId"/> is closed with <see cref="HubAction.Reason"/>.</summary>
    CloseConnection,

    /// <summary>Every connection of <see cref="HubAction.UserId"/> is closed.</summary>
    CloseUserConnections,

    /// <summary>Every member of <see cref="HubAction.Group"/> is closed.</summary>
    CloseGroupConnections,
}

/// <summary>One action a handler took: who it is for and what it carries. Tests assert on these (<see cref="Testing.HubTestHost"/>).</summary>
/// <param name="Kind">What was asked for.</param>
public sealed record HubAction(HubActionKind Kind)
{
    /// <summary>The group, for group actions.</summary>
    public string? Group { get; init; }

    /// <summary>The user, for user actions.</summary>
    public string? UserId { get; init; }

    /// <summary>The connection, for connection actions.</summary>
    public string? ConnectionId { get; init; }

    /// <summary>The message, for sends.</summary>
    public MessageData? Data { get; init; }

    /// <summary>The reason, for closes.</summary>
    public string? Reason { get; init; }

    /// <summary>Connections left out of a send or a close.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];
}
