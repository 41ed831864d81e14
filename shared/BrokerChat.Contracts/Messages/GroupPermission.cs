namespace BrokerChat.Contracts.Messages;

/// <summary>
/// A permission the REST API grants, revokes and checks per connection (<see cref="Delivery.Permission"/>); its REST
/// name and role are in <see cref="Names.Permissions"/>. Values are only ever appended.
/// </summary>
public enum GroupPermission
{
    /// <summary>None (not a permission query).</summary>
    None = 0,

    /// <summary>Send to a group: the role <see cref="Names.Permissions.SendToGroup"/>.</summary>
    SendToGroup = 1,

    /// <summary>Join and leave a group: the role <see cref="Names.Permissions.JoinLeaveGroup"/>.</summary>
    JoinLeaveGroup = 2,
}
