using BrokerChat.Peers;

namespace BrokerChat.Tools.Tests.Peers;

public sealed class SignalRPeerTests
{
    [Fact(Timeout = 60_000)]
    public async Task MembersOfARoomGetTheMessagesInOrderThroughTheRawJsonHubProtocol()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await PeerServer.StartAsync(PeerKind.SignalR, cancellationToken: ct);
        using (var http = new HttpClient { BaseAddress = peer.BaseUri })
        {
            Assert.True((await http.GetAsync(new Uri("healthz", UriKind.Relative), ct)).IsSuccessStatusCode);
        }

        await using var alice = await HubProtocolClient.ConnectAsync(peer.WebSocketUri("chat"), ct);
        await using var bob = await HubProtocolClient.ConnectAsync(peer.WebSocketUri("chat"), ct);
        foreach (var member in new[] { alice, bob })
        {
            await member.SendAsync("""{"type":1,"invocationId":"1","target":"JoinRoom","arguments":["r1"]}""", ct);
            var completion = await member.NextAsync(ct);
            Assert.Equal((3, "1", null), ((int)completion["type"]!, (string?)completion["invocationId"], completion["error"]));
        }

        const int count = 100;
        for (var i = 0; i < count; i++)
        {
            await alice.SendAsync($$"""{"type":1,"target":"SendToRoom","arguments":["r1",{"t":123,"s":4,"n":{{i}}}]}""", ct);
        }

        foreach (var member in new[] { alice, bob })
        {
            for (var i = 0; i < count; i++)
            {
                var message = await member.NextAsync(ct);
                Assert.Equal((1, "message", "r1", i), ((int)message["type"]!, (string?)message["target"], (string?)message["arguments"]![0], (int)message["arguments"]![1]!["n"]!));
            }
        }
    }
}
