using System.Diagnostics;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// Who is in a room, across connectors: <c>listMembers</c>, presence messages for subscribers, members of a connector
/// that stops without a word expiring within the bound its beacons state, and a new connector learning who is there.
/// The shared fixture's connector is one side; a second connector on the same Kafka, with short presence settings, the
/// other.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class PresenceTests(PipelineFixture fixture)
{
    /// <summary>The second connectors' beacon interval and expiry: short, so expiry is quick to observe.</summary>
    internal static readonly TimeSpan BeaconInterval = TimeSpan.FromMilliseconds(250);

    internal static readonly TimeSpan Expiry = TimeSpan.FromSeconds(2);

    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task MembersOnBothConnectorsAreListedAlikeAndSubscribersOnEitherAreToldOfEveryJoinAndLeave()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "presence1";
        await using var other = await StartOtherAsync();
        await using var watchA = await Host.ConnectAsync(hub, "watcher-a", ct);
        await using var watchB = await other.ConnectAsync(hub, "watcher-b", ct);
        Assert.True((await JoinAsync(watchA, "room", presence: true, ct: ct))!.Success);
        Assert.True((await JoinAsync(watchB, "room", presence: true, ct: ct))!.Success);
        await PresenceAsync(watchA, "join", watchB.ConnectionId, ct); // the other connector's join reached this one

        await using var alice = await Host.ConnectAsync(hub, "alice", ct);
        await using var bob = await other.ConnectAsync(hub, "bob", ct);
        var carol = await other.ConnectAsync(hub, "carol", ct);
        foreach (var client in new[] { alice, bob, carol })
        {
            Assert.True((await client.JoinGroupAsync("room", ct))!.Success);
        }

        Assert.True((await bob.LeaveGroupAsync("room", ct))!.Success);
        await carol.DisposeAsync(); // a disconnect is a leave of every group

        foreach (var watcher in new[] { watchA, watchB })
        {
            foreach (var joined in new[] { alice, bob, carol })
            {
                var notice = await PresenceAsync(watcher, "join", joined.ConnectionId, ct);
                Assert.Equal("room", (string?)notice["group"]);
            }

            Assert.Equal("bob", (string?)(await PresenceAsync(watcher, "leave", bob.ConnectionId, ct))["userId"]);
            await PresenceAsync(watcher, "leave", carol.ConnectionId, ct);
        }

        // Each list is read after its connector told its subscriber of the last change, so both are final.
        var expected = new (string? UserId, string ConnectionId)[] { ("alice", alice.ConnectionId), ("watcher-a", watchA.ConnectionId), ("watcher-b", watchB.ConnectionId) }.Order().ToList();
        var (onA, completeA) = await ListAsync(alice, "room", ct);
        var (onB, completeB) = await ListAsync(watchB, "room", ct);
        Assert.Equal(expected, onA);
        Assert.Equal(expected, onB);
        Assert.True(completeA && completeB);
    }

    [Fact(Timeout = 60_000)]
    public async Task ListingNeedsMembershipOrTheJoinRoleAndOnlySubscribersGetPresenceMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "presence2";
        await using var outsider = await WebPubSubTestClient.ConnectUrlAsync(Host.ClientUrl(hub, "outsider", roles: []), cancellationToken: ct);
        var refused = await outsider.SendAsync(new JsonObject { ["type"] = "listMembers", ["group"] = "room" }, cancellationToken: ct);
        Assert.Equal("Forbidden", refused!.ErrorName);

        await using var plain = await Host.ConnectAsync(hub, "plain", ct);
        await using var watcher = await Host.ConnectAsync(hub, "watcher", ct);
        Assert.True((await plain.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await JoinAsync(watcher, "room", presence: true, ct: ct))!.Success);
        await using var late = await Host.ConnectAsync(hub, "late", ct);
        Assert.True((await late.JoinGroupAsync("room", ct))!.Success);
        await PresenceAsync(watcher, "join", late.ConnectionId, ct);

        // A fence: anything presence-related for the plain member would have come before this message.
        Assert.True((await late.SendToGroupAsync("room", "fence", cancellationToken: ct))!.Success);
        await plain.WaitForFrameAsync(f => (string?)f["data"] == "fence", ct);
        Assert.DoesNotContain(plain.Frames, f => (string?)f["event"] == "presence");
        Assert.Equal(3, (await ListAsync(plain, "room", ct)).Members.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task MembersOfAConnectorThatStopsWithoutAWordExpireWithinItsStatedBound()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "presence3";
        await using var watcher = await Host.ConnectAsync(hub, "watcher", ct);
        Assert.True((await JoinAsync(watcher, "room", presence: true, ct: ct))!.Success);
        var other = await StartOtherAsync();
        var rita = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        var sam = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "sam"), new() { Reliable = true }, ct);
        await rita.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await sam.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await PresenceAsync(watcher, "join", rita.ConnectionId, ct);
        await PresenceAsync(watcher, "join", sam.ConnectionId, ct);

        // Their sockets drop: the sessions wait for their clients there, and stay members.
        rita.Abort();
        sam.Abort();
        var index = other.Services.GetRequiredService<ConnectionIndex>();
        await Wait.UntilAsync(() => index.All.Count(c => c.IsDetached) == 2, ct);
        Assert.Equal(3, (await ListAsync(watcher, "room", ct)).Members.Count);

        // Then their connector stops; the sessions it held end with it, unannounced.
        var stopping = Stopwatch.StartNew();
        await other.DisposeAsync();
        var stopped = stopping.Elapsed;
        await PresenceAsync(watcher, "leave", rita.ConnectionId, ct);
        await PresenceAsync(watcher, "leave", sam.ConnectionId, ct);
        var gone = stopping.Elapsed;

        // Its last beacon left at most one interval before the stop began, or during it; the members go once the expiry
        // it stated has passed since (checked every second at the latest), plus Kafka's hops.
        TestContext.Current.SendDiagnosticMessage($"Members of the stopped connector were gone {gone - stopped} after it stopped ({gone} after the stop began; expiry {Expiry}).");
        Assert.True(gone >= Expiry - BeaconInterval, $"The members went after {gone}: before the expiry, so not by it.");
        Assert.True(gone - stopped <= Expiry + TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(2), $"The members went {gone - stopped} after the connector stopped.");
        Assert.Equal([watcher.ConnectionId], (await ListAsync(watcher, "room", ct)).Members.Select(m => m.ConnectionId));
        await rita.DisposeAsync();
        await sam.DisposeAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task ConnectorStartedLaterLearnsTheMembersAlreadyThere()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "presence4";
        await using var alice = await Host.ConnectAsync(hub, "alice", ct);
        await using var bob = await Host.ConnectAsync(hub, "bob", ct);
        Assert.True((await alice.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await bob.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await bob.JoinGroupAsync("lobby", ct))!.Success);

        await using var other = await StartOtherAsync();
        var table = other.Services.GetRequiredService<PresenceFeed>().Table;
        var gate = other.Services.GetRequiredService<OutboundState>().Gate;
        await Wait.UntilAsync(() =>
        {
            lock (gate)
            {
                return table.List(hub, "room", out _).Count == 2 && table.List(hub, "lobby", out _).Count == 1;
            }
        }, ct);

        await using var carol = await other.ConnectAsync(hub, "carol", ct);
        Assert.True((await carol.JoinGroupAsync("lobby", ct))!.Success);
        var (room, complete) = await ListAsync(carol, "room", ct);
        Assert.Equal(new (string? UserId, string ConnectionId)[] { ("alice", alice.ConnectionId), ("bob", bob.ConnectionId) }.Order(), room);
        Assert.True(complete);
    }

    /// <summary>Starts a second connector on the fixture's Kafka with short presence settings (and <paramref name="settings"/>).</summary>
    internal static Task<BrokerChatHost> StartOtherAsync(BrokerChatHost first, HostSettings? settings = null)
    {
        settings ??= new HostSettings();
        settings.Connector.PresenceBeaconInterval = BeaconInterval;
        settings.Connector.PresenceExpiry = Expiry;
        return SecondConnector.StartAsync(first, settings);
    }

    /// <summary>Joins a group with the presence and history options of <c>joinGroup</c>.</summary>
    internal static Task<AckFrame?> JoinAsync(WebPubSubTestClient client, string group, bool presence = false, int? history = null, CancellationToken ct = default)
    {
        var request = new JsonObject { ["type"] = "joinGroup", ["group"] = group, ["presence"] = presence };
        if (history is { } count)
        {
            request["history"] = count;
        }

        return client.SendAsync(request, cancellationToken: ct);
    }

    /// <summary>The next presence message about <paramref name="connectionId"/> with <paramref name="action"/>.</summary>
    internal static Task<JsonObject> PresenceAsync(WebPubSubTestClient client, string action, string connectionId, CancellationToken ct) =>
        client.WaitForFrameAsync(f => (string?)f["event"] == "presence" && (string?)f["action"] == action && (string?)f["connectionId"] == connectionId, ct);

    /// <summary>Asks for a group's members; returns them (user id, connection id) in order, and whether the list is complete.</summary>
    internal static async Task<(List<(string? UserId, string ConnectionId)> Members, bool Complete)> ListAsync(WebPubSubTestClient client, string group, CancellationToken ct)
    {
        var ack = await client.SendAsync(new JsonObject { ["type"] = "listMembers", ["group"] = group }, cancellationToken: ct);
        Assert.True(ack!.Success, ack.ErrorMessage);
        // The list is written before its ack, so it is already in.
        var list = client.Frames.Last(f => (string?)f["event"] == "members" && (ulong?)f["ackId"] == ack.AckId);
        Assert.Equal(group, (string?)list["group"]);
        var members = list["members"]!.AsArray().Select(m => ((string?)m!["userId"], (string)m["connectionId"]!)).Order().ToList();
        return (members, (bool)list["complete"]!);
    }

    private Task<BrokerChatHost> StartOtherAsync() => StartOtherAsync(Host);
}
