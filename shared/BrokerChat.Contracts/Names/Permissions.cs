using BrokerChat.Contracts.Messages;

namespace BrokerChat.Contracts.Names;

/// <summary>
/// The Web PubSub roles and what they allow, and the names the REST API gives the permissions they stand for. A
/// connection's roles come from its access token (and the REST API's grants) and travel with each request, so the
/// connector and the functions decide alike.
/// </summary>
public static class Permissions
{
    /// <summary>Join and leave any group.</summary>
    public const string JoinLeaveGroup = "webpubsub.joinLeaveGroup";

    /// <summary>Send to any group.</summary>
    public const string SendToGroup = "webpubsub.sendToGroup";

    /// <summary>The REST API's name of <see cref="GroupPermission.SendToGroup"/> (<c>/permissions/sendToGroup/...</c>).</summary>
    public const string SendToGroupName = "sendToGroup";

    /// <summary>The REST API's name of <see cref="GroupPermission.JoinLeaveGroup"/> (<c>/permissions/joinLeaveGroup/...</c>).</summary>
    public const string JoinLeaveGroupName = "joinLeaveGroup";

    /// <summary>The permission a REST name stands for (compared ignoring case), or <see cref="GroupPermission.None"/>.</summary>
    public static GroupPermission Parse(string? name) =>
        string.Equals(name, SendToGroupName, StringComparison.OrdinalIgnoreCase) ? GroupPermission.SendToGroup
        : string.Equals(name, JoinLeaveGroupName, StringComparison.OrdinalIgnoreCase) ? GroupPermission.JoinLeaveGroup
        : GroupPermission.None;

    /// <summary>The role that gives <paramref name="permission"/> for every group (and, with <c>.group</c>, for one).</summary>
    public static string RoleOf(GroupPermission permission) => permission switch
    {
        GroupPermission.SendToGroup => SendToGroup,
        GroupPermission.JoinLeaveGroup => JoinLeaveGroup,
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "Not a group permission."),
    };

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
