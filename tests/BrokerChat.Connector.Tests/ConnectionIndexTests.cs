using BrokerChat.Connector.Connections;

namespace BrokerChat.Connector.Tests;

public sealed class ConnectionIndexTests
{
    [Fact]
    public void MembersAreFoundByGroupUserAndHub()
    {
        var index = new ConnectionIndex();
        using var a = Connection("a", "alice");
        using var b = Connection("b", "bob");
        index.Add(a);
        index.Add(b);
        index.JoinGroup(a, "g");
        index.JoinGroup(a, "g"); // joining twice is fine

        Assert.Equal([a], index.GroupMembers("hub", "g"));
        Assert.Equal([b], index.UserConnections("hub", "bob"));
        Assert.Equal(2, index.HubConnections("hub").Length);
        Assert.Empty(index.GroupMembers("other", "g"));
    }

    [Fact]
    public void RemovingAConnectionLeavesNoEntryBehind()
    {
        var index = new ConnectionIndex();
        using var a = Connection("a", "alice");
        index.Add(a);
        index.JoinGroup(a, "g1");
        index.JoinGroup(a, "g2");

        index.Remove(a);

        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.GroupCount);
        Assert.Empty(index.UserConnections("hub", "alice"));
        Assert.Empty(index.HubConnections("hub"));
    }

    [Fact]
    public void LeavingTheLastMemberDropsTheGroupAndSnapshotsFollowChanges()
    {
        var index = new ConnectionIndex();
        using var a = Connection("a", "alice");
        using var b = Connection("b", "bob");
        index.Add(a);
        index.Add(b);
        index.JoinGroup(a, "g");
        var before = index.GroupMembers("hub", "g");
        index.JoinGroup(b, "g");

        Assert.Single(before);
        Assert.Equal(2, index.GroupMembers("hub", "g").Length);
        index.LeaveGroup(a, "g");
        index.LeaveGroup(b, "g");
        index.LeaveGroup(b, "never-joined");
        Assert.Equal(0, index.GroupCount);
    }

    [Fact]
    public void ARemovedConnectionCannotJoinAGroup()
    {
        var index = new ConnectionIndex();
        using var a = Connection("a", "alice");
        index.Add(a);
        index.Remove(a);

        index.JoinGroup(a, "g");

        Assert.Equal(0, index.GroupCount);
    }

    private static ClientConnection Connection(string id, string user) => new(id, "hub", user, [], 10, 1024);
}
