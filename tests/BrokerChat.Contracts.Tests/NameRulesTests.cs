using BrokerChat.Contracts.Names;

namespace BrokerChat.Contracts.Tests;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData("chat", true)]
    [InlineData("Chat_1.[x],`y`", true)]
    [InlineData("1chat", false)]
    [InlineData("", false)]
    [InlineData("chat room", false)]
    [InlineData("chat/room", false)]
    public void HubNamesFollowTheWebPubSubPattern(string hub, bool valid) => Assert.Equal(valid, HubNames.IsValid(hub));

    [Fact]
    public void HubNamesAreAtMost128Characters()
    {
        Assert.True(HubNames.IsValid("h" + new string('a', 127)));
        Assert.False(HubNames.IsValid("h" + new string('a', 128)));
    }

    [Theory]
    [InlineData("room", true)]
    [InlineData("a room with spaces", true)]
    [InlineData("ж", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("tab\there", false)]
    public void GroupNamesAreNonBlankWithoutControlCharacters(string group, bool valid) => Assert.Equal(valid, GroupNames.IsValid(group));

    [Fact]
    public void GroupNamesAreAtMost1024Characters()
    {
        Assert.True(GroupNames.IsValid(new string('g', 1024)));
        Assert.False(GroupNames.IsValid(new string('g', 1025)));
    }

    [Theory]
    [InlineData("typing", true)]
    [InlineData("a.b-c_d9", true)]
    [InlineData("9lives", false)]
    [InlineData("has space", false)]
    [InlineData("", false)]
    public void EventNamesFollowThePattern(string name, bool valid) => Assert.Equal(valid, EventNames.IsValid(name));

    [Fact]
    public void RolesGrantAllGroupsOrExactlyTheNamedGroup()
    {
        Assert.True(Permissions.CanSendToGroup(["webpubsub.sendToGroup"], "any"));
        Assert.True(Permissions.CanSendToGroup(["webpubsub.sendToGroup.a.b"], "a.b"));
        Assert.False(Permissions.CanSendToGroup(["webpubsub.sendToGroup.a"], "a.b"));
        Assert.False(Permissions.CanSendToGroup(["webpubsub.sendToGroup.A"], "a"));
        Assert.False(Permissions.CanSendToGroup(["webpubsub.joinLeaveGroup"], "a"));
        Assert.True(Permissions.CanJoinLeaveGroup(["webpubsub.joinLeaveGroup.a"], "a"));
        Assert.False(Permissions.CanJoinLeaveGroup([], "a"));
    }
}
