using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using BrokerChat.Testing;

namespace BrokerChat.Tools.Tests.Peers;

/// <summary>The SignalR JSON hub protocol spoken over a raw WebSocket: no negotiation, records ending in 0x1E.</summary>
internal sealed class HubProtocolClient : IAsyncDisposable
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
        // Only the close frame is sent here: the receive loop is already reading and sees the peer's answer (or the
        // peer dropping the connection once it has answered, which a hub server may do).
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(WebPubSubTestClient.DefaultTimeout);
            }
            catch (WebSocketException)
            {
            }
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
