namespace BrokerChat.Client;

/// <summary>A member of a group: a connection, and the user it belongs to (null when anonymous).</summary>
/// <param name="UserId">The user id, or null.</param>
/// <param name="ConnectionId">The connection id.</param>
public sealed record BrokerChatMember(string? UserId, string ConnectionId);

/// <summary>The members of a group, on every connector of a BrokerChat deployment.</summary>
/// <param name="Members">The members.</param>
/// <param name="IsComplete">False when the server's member table hit a bound, so that some members may be missing.</param>
public sealed record BrokerChatMemberList(IReadOnlyList<BrokerChatMember> Members, bool IsComplete);

/// <summary>A member joined or left a group this client joined with presence messages on.</summary>
public sealed class BrokerChatPresenceEventArgs(string group, bool joined, BrokerChatMember member) : EventArgs
{
    /// <summary>The group.</summary>
    public string Group { get; } = group;

    /// <summary>True when the member joined, false when it left (or its connection ended).</summary>
    public bool Joined { get; } = joined;

    /// <summary>Who joined or left.</summary>
    public BrokerChatMember Member { get; } = member;
}
