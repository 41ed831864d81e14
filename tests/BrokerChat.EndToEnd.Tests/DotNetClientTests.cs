using System.Text.Json;
using BrokerChat.Client;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// BrokerChat's .NET client library against real connectors: both reliable subprotocols, and a session that moves to
/// another connector behind a load balancer when its own connector stops.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class DotNetClientTests(PipelineFixture fixture)
{
    [Theory(Timeout = 120_000)]
    [InlineData(BrokerChatProtocol.JsonReliable)]
    [InlineData(BrokerChatProtocol.MessagePackReliable)]
    public async Task ClientMovesToAnotherConnectorWhenItsConnectorStopsAndMissesNothing(BrokerChatProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var hub = "dotnet" + protocol;
        var doomed = await SecondConnector.StartAsync(fixture.Host);
        await using var balancer = new TcpForwarder(doomed.BaseUri);
        var url = new Uri(fixture.Host.ClientUrl(hub, "rosa").ToString().Replace(fixture.Host.BaseUri.Authority, balancer.BaseUri.Authority, StringComparison.Ordinal));
        await using var client = new BrokerChatClient(url, new BrokerChatClientOptions { Protocol = protocol });
        var connected = 0;
        var disconnected = 0;
        client.Connected += _ => { Interlocked.Increment(ref connected); return Task.CompletedTask; };
        client.Disconnected += _ => { Interlocked.Increment(ref disconnected); return Task.CompletedTask; };
        await client.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        await client.JoinGroupAsync("room", cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        await client.JoinGroupAsync("lobby", cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);

        await SecondConnector.SendMixedAsync(sender, 1, 10, ct);
        var received = await ReadAsync(client, 10, ct);

        // The balancer sends new connections to the other connector; this one stops while messages keep coming.
        balancer.Target = fixture.Host.BaseUri;
        var stopping = doomed.DisposeAsync().AsTask();
        await SecondConnector.SendMixedAsync(sender, 11, 20, ct);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), ct);

        received.AddRange(await ReadAsync(client, 10, ct));
        Assert.Equal(Enumerable.Range(1, 20), received.Select(m => m.N).Order());
        Assert.Equal(received.Where(m => m.Group == "room").Select(m => m.N).Order(), received.Where(m => m.Group == "room").Select(m => m.N));
        Assert.Equal(received.Where(m => m.Group == "lobby").Select(m => m.N).Order(), received.Where(m => m.Group == "lobby").Select(m => m.N));
        var sequenceIds = received.Select(m => m.SequenceId).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong?)i), sequenceIds);
        Assert.Equal((1, 0), (Volatile.Read(ref connected), Volatile.Read(ref disconnected))); // resumed, not reconnected afresh
        Assert.False(client.Messages.TryRead(out _)); // nothing twice
    }

    [Theory(Timeout = 60_000)]
    [InlineData(BrokerChatProtocol.Json)]
    [InlineData(BrokerChatProtocol.MessagePackReliable)]
    public async Task ClientGetsHistoryOnJoinPresenceEventsAndMemberListsFromEveryConnector(BrokerChatProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var hub = "dotnetpresence" + protocol;
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        await SecondConnector.SendAsync(sender, "room", 1, 4, ct);
        await using var other = await PresenceTests.StartOtherAsync(fixture.Host);
        await using var client = new BrokerChatClient(other.ClientUrl(hub, "rosa"), new BrokerChatClientOptions { Protocol = protocol });
        var presence = System.Threading.Channels.Channel.CreateUnbounded<BrokerChatPresenceEventArgs>();
        client.PresenceChanged += e => presence.Writer.WriteAsync(e, ct).AsTask();
        await client.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);

        await client.JoinGroupAsync("room", history: 3, presence: true, cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        var history = new List<BrokerChatMessage>();
        while (client.Messages.TryRead(out var message))
        {
            history.Add(message); // all there before the join returned
        }

        Assert.Equal([2, 3, 4], history.Select(m => JsonDocument.Parse(m.Data).RootElement.GetProperty("n").GetInt32()));
        Assert.All(history, m => Assert.True(m.IsHistory && m.SequenceId is null));

        // Someone joins on the fixture's connector, then leaves: this client, on the other connector, is told both.
        await using var nina = await fixture.Host.ConnectAsync(hub, "nina", ct);
        Assert.True((await nina.JoinGroupAsync("room", ct))!.Success);
        var joined = await NextPresenceAsync(presence, e => e.Member.ConnectionId == nina.ConnectionId, ct);
        Assert.Equal(("room", true, "nina"), (joined.Group, joined.Joined, joined.Member.UserId));

        var list = await client.ListMembersAsync("room", ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.True(list.IsComplete);
        Assert.Equal([new BrokerChatMember("nina", nina.ConnectionId), new BrokerChatMember("rosa", client.ConnectionId!)], list.Members.OrderBy(m => m.UserId, StringComparer.Ordinal));

        Assert.True((await nina.LeaveGroupAsync("room", ct))!.Success);
        Assert.False((await NextPresenceAsync(presence, e => e.Member.ConnectionId == nina.ConnectionId, ct)).Joined);
        var refused = await Assert.ThrowsAsync<SendMessageFailedException>(() => client.ListMembersAsync("elsewhere-with-no-permission\u0001", ct));
        Assert.Equal("BadRequest", refused.ErrorName);
    }

    private static async Task<BrokerChatPresenceEventArgs> NextPresenceAsync(System.Threading.Channels.Channel<BrokerChatPresenceEventArgs> events, Func<BrokerChatPresenceEventArgs, bool> match, CancellationToken ct)
    {
        while (true)
        {
            var next = await events.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), ct);
            if (match(next))
            {
                return next;
            }
        }
    }

    private static async Task<List<(int N, string? Group, ulong? SequenceId)>> ReadAsync(BrokerChatClient client, int count, CancellationToken ct)
    {
        var messages = new List<(int, string?, ulong?)>();
        while (messages.Count < count)
        {
            var message = await client.Messages.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
            var n = JsonDocument.Parse(message.Data).RootElement.GetProperty("n").GetInt32();
            messages.Add((n, message.Group, message.SequenceId));
        }

        return messages;
    }
}
