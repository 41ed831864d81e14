using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using BrokerChat.Peers;
using BrokerChat.Testing;

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

    /// <summary>The SignalR JSON hub protocol spoken over a raw WebSocket: no negotiation, records ending in 0x1E.</summary>
    private sealed class HubProtocolClient : IAsyncDisposable
    {
        private const byte RecordSeparator = 0x1E;
        private readonly ClientWebSocket _socket = new();
        private readonly Channel<JsonObject> _records = Channel.CreateUnbounded<JsonObject>();
        private Task _receiving = Task.CompletedTask;

        public static async Task<HubProtocolClient> ConnectAsync(Uri url, CancellationToken cancellationToken)
        {
            var client = new HubProtocolClient();
            await client._socket.ConnectAsync(url, cancellationToken).WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken);
            client._receiving = client.ReceiveLoopAsync();
            await client.SendAsync("""{"protocol":"json","version":1}""", cancellationToken);
            Assert.Null((await client.NextAsync(cancellationToken))["error"]);
            return client;
        }

        public Task SendAsync(string record, CancellationToken cancellationToken) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(record + "\u001e"), WebSocketMessageType.Text, true, cancellationToken).WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken);

        /// <summary>The next record that is not a keep-alive ping (type 6).</summary>
        public async Task<JsonObject> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var record = await _records.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken);
                if ((int?)record["type"] != 6)
                {
                    return record;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(WebPubSubTestClient.DefaultTimeout);
            }

            await _receiving.WaitAsync(WebPubSubTestClient.DefaultTimeout);
            _socket.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = new byte[64 * 1024];
            var pending = new List<byte>();
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    pending.AddRange(buffer.AsSpan(0, result.Count));
                    int end;
                    while ((end = pending.IndexOf(RecordSeparator)) >= 0)
                    {
                        _records.Writer.TryWrite(JsonNode.Parse(Encoding.UTF8.GetString([.. pending[..end]]))!.AsObject());
                        pending.RemoveRange(0, end + 1);
                    }
                }
            }
            catch (WebSocketException)
            {
            }
            finally
            {
                _records.Writer.TryComplete();
            }
        }
    }
}
