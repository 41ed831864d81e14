using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

public sealed class PresenceTableTests
{
    private const string Self = "self";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly List<PresenceNotice> _notices = [];
    private readonly PresenceTable _table;

    public PresenceTableTests() => _table = new PresenceTable(Self, maxMembers: 100, maxMembersPerRoom: 10, TimeSpan.FromSeconds(20), _clock);

    [Fact]
    public void JoinsAndLeavesFromEveryConnectorMakeUpTheRoomAndAreAnnounced()
    {
        Apply(Join("a", "c1", "u1", 1));
        Apply(Join("b", "c2", null, 1));
        Apply(Leave("a", "c1", 2));

        Assert.Equal([new GroupMember(null, "c2")], Members("room"));
        Assert.Equal([(true, "c1"), (true, "c2"), (false, "c1")], _notices.Select(n => (n.Joined, n.ConnectionId)));
        Assert.Equal("u1", _notices[2].UserId);
        Assert.Equal(1, _table.Members);
    }

    [Fact]
    public void RepeatedRecordsChangeNothingAndAnnounceNothing()
    {
        Apply(Join("a", "c1", "u1", 5));
        Apply(Join("a", "c1", "u1", 5));
        Apply(Leave("a", "c1", 6));
        Apply(Leave("a", "c1", 6));
        Apply(Join("a", "c1", "u1", 5)); // the functions processed the join once more, after the leave

        Assert.Empty(Members("room"));
        Assert.Equal([true, false], _notices.Select(n => n.Joined));
    }

    [Fact]
    public void LeaveThatArrivesBeforeItsJoinKeepsTheMemberOut()
    {
        Apply(Leave("a", "c1", 6));
        Apply(Join("a", "c1", "u1", 5));

        Assert.Empty(Members("room"));
        Assert.Empty(_notices);
    }

    [Fact]
    public void JoinAfterALeaveWithANewerVersionComesBack()
    {
        Apply(Join("a", "c1", "u1", 5));
        Apply(Leave("a", "c1", 6));
        Apply(Join("a", "c1", "u1", 7));

        Assert.Equal([new GroupMember("u1", "c1")], Members("room"));
        Assert.Equal([true, false, true], _notices.Select(n => n.Joined));
    }

    [Fact]
    public void SessionResumedOnAnotherConnectorMovesThereSilentlyAndItsOldConnectorCanNoLongerRemoveIt()
    {
        Apply(Join("a", "c1", "u1", 5));
        Apply(Join("b", "c1", "u1", 9)); // resumed on b from its reconnection token
        Apply(Leave("a", "c1", 12)); // a's copy of the session expired later
        Apply(Snapshot("a", 0, 20, last: true, new PresenceMember { Hub = "hub", Group = "room", ConnectionId = "c1", UserId = "u1", Version = 5 }));

        Assert.Equal([new GroupMember("u1", "c1")], Members("room"));
        Assert.Equal([true], _notices.Select(n => n.Joined));

        Beacon("b", 1000);
        _clock.Advance(TimeSpan.FromSeconds(2));
        _table.Sweep(_notices);
        Assert.Empty(Members("room")); // now it is b's to lose
    }

    [Fact]
    public void MembersOfAConnectorWhoseBeaconsStopAreRemovedOnceItsOwnStatedExpiryPassed()
    {
        Beacon("b", 3000);
        Apply(Join("b", "c1", "u1", 1));
        Apply(Join("b", "c2", "u2", 1));
        Apply(Join("c", "c3", "u3", 1));
        Beacon("c", 60_000);
        _notices.Clear();

        _clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Null(_table.Sweep(_notices));
        Assert.Equal(3, Members("room").Count);

        _clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(["b"], _table.Sweep(_notices)!);
        Assert.Equal(["c3"], Members("room").Select(m => m.ConnectionId));
        Assert.Equal([(false, "c1"), (false, "c2")], _notices.Select(n => (n.Joined, n.ConnectionId)).Order());
        Assert.DoesNotContain("b", _table.LiveConnectors);
        Assert.Contains("c", _table.LiveConnectors);
    }

    [Fact]
    public void ThisConnectorNeverExpiresItself()
    {
        Apply(Join(Self, "c1", "u1", 1));
        _clock.Advance(TimeSpan.FromHours(1));
        _table.Sweep(_notices);
        Assert.Single(Members("room"));
    }

    [Fact]
    public void ConnectorBackAfterBeingCountedDeadIsAskedForItsSnapshotWhichRestoresItsMembers()
    {
        Beacon("b", 1000);
        Apply(Join("b", "c1", "u1", 4));
        _clock.Advance(TimeSpan.FromSeconds(2));
        _table.Sweep(_notices);
        Assert.Empty(Members("room"));
        Assert.Empty(_table.TakeResyncTargets());

        Beacon("b", 1000);
        Assert.Equal(["b"], _table.TakeResyncTargets());
        Assert.Empty(_table.TakeResyncTargets());
        Apply(Snapshot("b", 0, 50, last: true, new PresenceMember { Hub = "hub", Group = "room", ConnectionId = "c1", UserId = "u1", Version = 4 }));
        Assert.Equal([new GroupMember("u1", "c1")], Members("room"));
    }

    [Fact]
    public void SnapshotAddsWhatItNamesAndRemovesThatConnectorsOtherMembersOfThePartitionOnly()
    {
        Apply(Join("b", "gone", "u1", 1)); // its leave was lost
        Apply(Join("b", "kept", "u2", 2));
        Apply(Join("c", "other", "u3", 3));
        Apply(Join("b", "elsewhere", "u4", 4), partition: 1);
        _notices.Clear();

        Apply(Snapshot("b", 0, 10, last: false, new PresenceMember { Hub = "hub", Group = "room", ConnectionId = "kept", UserId = "u2", Version = 2 }));
        Assert.Equal(4, _table.Members); // nothing goes before the last chunk
        Apply(Snapshot("b", 0, 10, last: true, new PresenceMember { Hub = "hub", Group = "room", ConnectionId = "new", UserId = "u5", Version = 8 }));

        Assert.Equal(["kept", "new", "other"], Members("room").Select(m => m.ConnectionId).Order());
        Assert.Single(Members("room", "hub2"));
        Assert.Equal([(true, "new"), (false, "gone")], _notices.Select(n => (n.Joined, n.ConnectionId)));
    }

    [Fact]
    public void RoomBoundKeepsFurtherJoinsOutAndTheListSaysItIsIncomplete()
    {
        var table = new PresenceTable(Self, maxMembers: 100, maxMembersPerRoom: 3, TimeSpan.FromSeconds(20), _clock);
        for (var i = 0; i < 4; i++)
        {
            table.Apply(Join("b", $"c{i}", "u", 1), "hub", "room", 0, _notices);
        }

        var members = table.List("hub", "room", out var complete);
        Assert.Equal(3, members.Count);
        Assert.False(complete);
        Assert.Equal(1, table.DroppedJoins);
        Assert.Equal(3, _notices.Count); // nobody is told about a member the list does not show
        table.List("hub", "quiet", out var otherComplete);
        Assert.True(otherComplete);
    }

    [Fact]
    public void TableBoundAppliesAcrossRooms()
    {
        var table = new PresenceTable(Self, maxMembers: 2, maxMembersPerRoom: 2, TimeSpan.FromSeconds(20), _clock);
        for (var i = 0; i < 3; i++)
        {
            table.Apply(Join("b", $"c{i}", "u", 1), "hub", $"room{i}", 0, _notices);
        }

        Assert.Equal(2, table.Members);
        table.List("hub", "room2", out var complete);
        Assert.False(complete);
    }

    [Fact]
    public void TombstonesAreForgottenAfterTheirAgeAndRoomsWithThem()
    {
        Apply(Join("b", "c1", "u1", 1));
        Apply(Leave("b", "c1", 2));
        Assert.Equal((1, 1), (_table.Tombstones, _table.Rooms));

        _clock.Advance(PresenceTable.TombstoneAge);
        _table.Sweep(_notices);
        Assert.Equal((0, 0), (_table.Tombstones, _table.Rooms));
    }

    [Fact]
    public void SnapshotIsRequestedByOtherConnectorsAskingEveryoneOrThisOne()
    {
        _table.Apply(new PresenceChange { Action = PresenceAction.SyncRequest, ConnectorId = Self }, "", null, 0, _notices);
        _table.Apply(new PresenceChange { Action = PresenceAction.SyncRequest, ConnectorId = "b", TargetConnectorId = "c" }, "", null, 0, _notices);
        Assert.False(_table.TakeSnapshotRequest());

        _table.Apply(new PresenceChange { Action = PresenceAction.SyncRequest, ConnectorId = "b" }, "", null, 0, _notices);
        Assert.True(_table.TakeSnapshotRequest());
        Assert.False(_table.TakeSnapshotRequest());
        _table.Apply(new PresenceChange { Action = PresenceAction.SyncRequest, ConnectorId = "b", TargetConnectorId = Self }, "", null, 0, _notices);
        Assert.True(_table.TakeSnapshotRequest());
    }

    [Fact]
    public void AMemberCostsAFewHundredBytes()
    {
        const int count = 50_000;
        var table = new PresenceTable(Self, count, count, TimeSpan.FromSeconds(20), _clock);
        var rooms = Enumerable.Range(0, 100).Select(i => $"room-{i}").ToList();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            // The strings as a record read from Kafka brings them: a 22-character connection id, a 12-character user id.
            table.Apply(Join("connector-1", $"conn-{i:D17}", $"user-{i:D7}", 1), "hub", rooms[i % rooms.Count], 0, _notices);
            _notices.Clear();
        }

        var perMember = (GC.GetTotalMemory(forceFullCollection: true) - before) / count;
        Assert.Equal(count, table.Members);
        GC.KeepAlive(table);
        Assert.InRange(perMember, 150, 400); // 270 measured
        TestContext.Current.SendDiagnosticMessage($"Presence table: {perMember} bytes held per member");
    }

    private List<GroupMember> Members(string group, string hub = "hub") => _table.List(hub, group, out _);

    private void Apply(PresenceChange change, int partition = 0) =>
        _table.Apply(change, partition == 0 ? "hub" : "hub2", "room", partition, _notices);

    private void Beacon(string connector, int expiryMs) =>
        _table.Apply(new PresenceChange { Action = PresenceAction.Beacon, ConnectorId = connector, ExpiryMs = expiryMs }, "", null, 0, _notices);

    private static PresenceChange Join(string connector, string connectionId, string? userId, long version) =>
        new() { Action = PresenceAction.Join, ConnectorId = connector, ConnectionId = connectionId, UserId = userId, Version = version };

    private static PresenceChange Leave(string connector, string connectionId, long version) =>
        new() { Action = PresenceAction.Leave, ConnectorId = connector, ConnectionId = connectionId, Version = version };

    private static PresenceChange Snapshot(string connector, int partition, long id, bool last, params PresenceMember[] members) =>
        new() { Action = PresenceAction.Snapshot, ConnectorId = connector, Partition = partition, SnapshotId = id, Last = last, Members = members };
}
