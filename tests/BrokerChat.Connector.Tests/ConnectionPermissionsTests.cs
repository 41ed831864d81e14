using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Connector.Tests;

public sealed class ConnectionPermissionsTests
{
    private const GroupPermission Send = GroupPermission.SendToGroup;
    private const GroupPermission JoinLeave = GroupPermission.JoinLeaveGroup;

    [Fact]
    public void TheTokensRolesGiveWhatTheyNameAndTheirRolesAreKeptAsTheyCame()
    {
        string[] roles = ["custom.role", Permissions.SendToGroup, Permissions.JoinLeaveGroup + ".lobby"];

        var permissions = ConnectionPermissions.FromRoles(roles);

        Assert.Same(roles, permissions.Roles);
        Assert.True(permissions.Allows(Send, "anything"));
        Assert.True(permissions.Has(Send, null));
        Assert.True(permissions.Allows(JoinLeave, "lobby"));
        Assert.False(permissions.Allows(JoinLeave, "Lobby")); // group names are case-sensitive
        Assert.False(permissions.Has(JoinLeave, null));
        Assert.Null(permissions.Revoked);
    }

    [Fact]
    public void AGrantAddsToTheTokensRolesAndShowsInTheRolesRequestsCarry()
    {
        var granted = ConnectionPermissions.FromRoles(["custom.role"]).Change(JoinLeave, "room", grant: true, out var outcome);

        Assert.Equal(PermissionChange.Applied, outcome);
        Assert.True(granted.Allows(JoinLeave, "room"));
        Assert.False(granted.Allows(JoinLeave, "other"));
        Assert.False(granted.Allows(Send, "room"));
        Assert.Equal(["custom.role", "webpubsub.joinLeaveGroup.room"], granted.Roles);
        Assert.True(Permissions.CanJoinLeaveGroup(granted.Roles, "room")); // the functions decide alike
    }

    [Fact]
    public void ARevocationTakesAwayWhatARoleGaveForThatGroupOnly()
    {
        var revoked = ConnectionPermissions.FromRoles([Permissions.SendToGroup]).Change(Send, "muted", grant: false, out _);

        Assert.False(revoked.Allows(Send, "muted"));
        Assert.True(revoked.Allows(Send, "other"));
        Assert.False(revoked.Has(Send, null));
        Assert.Equal([Permissions.SendToGroup], revoked.Roles);
        Assert.Equal(["webpubsub.sendToGroup.muted"], revoked.Revoked!);
    }

    [Fact]
    public void RevokingAGrantedGroupOrEveryGroupLeavesNothingAndGrantingEveryGroupReplacesTheExceptions()
    {
        var start = ConnectionPermissions.FromRoles([Permissions.SendToGroup + ".a", Permissions.SendToGroup + ".b"]);

        var withoutA = start.Change(Send, "a", grant: false, out _);
        var none = start.Change(Send, null, grant: false, out _);
        var all = withoutA.Change(Send, null, grant: true, out _);

        Assert.Equal(["webpubsub.sendToGroup.b"], withoutA.Roles);
        Assert.Null(withoutA.Revoked);
        Assert.Empty(none.Roles);
        Assert.False(none.Allows(Send, "b"));
        Assert.Equal([Permissions.SendToGroup], all.Roles);
        Assert.True(all.Has(Send, null));
    }

    [Fact]
    public void AChangeThatChangesNothingReturnsTheSameInstance()
    {
        var permissions = ConnectionPermissions.FromRoles([Permissions.JoinLeaveGroup]);

        Assert.Same(permissions, permissions.Change(JoinLeave, "room", grant: true, out _));
        Assert.Same(permissions, permissions.Change(JoinLeave, null, grant: true, out _));
        Assert.Same(permissions, permissions.Change(Send, "room", grant: false, out _));
    }

    [Fact]
    public void TheRolesAndRevocationsRebuildTheSamePermissionsElsewhere()
    {
        var changed = ConnectionPermissions.FromRoles([Permissions.SendToGroup, "custom"])
            .Change(Send, "muted", grant: false, out _)
            .Change(JoinLeave, "room", grant: true, out _);

        var moved = ConnectionPermissions.FromRoles(changed.Roles, changed.Revoked);

        Assert.Equal(changed.Roles, moved.Roles);
        Assert.Equal(changed.Revoked, moved.Revoked);
        Assert.False(moved.Allows(Send, "muted"));
        Assert.True(moved.Allows(Send, "other"));
        Assert.True(moved.Allows(JoinLeave, "room"));
    }

    [Fact]
    public void PerGroupGrantsAndRevocationsAreBoundedAndTheOneTooManyChangesNothing()
    {
        var permissions = ConnectionPermissions.FromRoles([]);
        for (var i = 0; i < ConnectionPermissions.MaxGroupExceptions; i++)
        {
            permissions = permissions.Change(i % 2 == 0 ? Send : JoinLeave, "g" + i, grant: true, out var applied);
            Assert.Equal(PermissionChange.Applied, applied);
        }

        var refused = permissions.Change(Send, "one-more", grant: true, out var outcome);
        var longName = ConnectionPermissions.FromRoles([]).Change(Send, new string('x', ConnectionPermissions.MaxGroupExceptionChars + 1), grant: true, out var longOutcome);

        Assert.Equal(PermissionChange.TooMany, outcome);
        Assert.Same(permissions, refused);
        Assert.Equal(PermissionChange.TooMany, longOutcome);
        Assert.False(longName.Allows(Send, new string('x', ConnectionPermissions.MaxGroupExceptionChars + 1)));
        Assert.True(permissions.Change(Send, null, grant: true, out _).Has(Send, null)); // every group needs no exception
    }
}
