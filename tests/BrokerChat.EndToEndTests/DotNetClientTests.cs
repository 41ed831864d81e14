using System.Text.Json;
using BrokerChat.Client;
using BrokerChat.Testing;

namespace BrokerChat.EndToEndTests;

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
