namespace BrokerChat.Contracts.Names;

/// <summary>
/// The Web PubSub roles and what they allow. A connection's roles come from its access token and travel with each
/// request, so the connector and the functions decide alike.
/// </summary>
public static class Permissions
{
    /// <summary>Join and leave any group.</summary>
    public const string JoinLeaveGroup = "webpubsub.joinLeaveGroup";

    /// <summary>Send to any group.</summary>
    public const string SendToGroup = "webpubsub.sendToGroup";

    /// <summary>Whether the roles allow sending to <paramref name="group"/>.</summary>
    public static bool CanSendToGroup(IReadOnlyList<string> roles, string group) => Allows(roles, SendToGroup, group);

    /// <summary>Whether the roles allow joining or leaving <paramref name="group"/>.</summary>
    public static bool CanJoinLeaveGroup(IReadOnlyList<string> roles, string group) => Allows(roles, JoinLeaveGroup, group);

    private static bool Allows(IReadOnlyList<string> roles, string role, string group)
    {
        ArgumentNullException.ThrowIfNull(roles);
        for (var i = 0; i < roles.Count; i++)
        {
            var granted = roles[i];
            if (granted == role)
            {
                return true;
            }

            // "<role>.<group>" grants that one group; the group part is compared exactly (group names are case-sensitive).
            if (granted.Length == role.Length + 1 + group.Length
                && granted.StartsWith(role, StringComparison.Ordinal)
                && granted[role.Length] == '.'
                && granted.AsSpan(role.Length + 1).SequenceEqual(group))
            {
                return true;
            }
        }

        return false;
    }
}
