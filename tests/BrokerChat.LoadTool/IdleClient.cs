using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.LoadTool;

/// <summary>One idle client: connects, reads whatever arrives (keep-alives), and pings when told to, as the JS client does every 20 s.</summary>
internal sealed class IdleClient : IAsyncDisposable
{
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.Ping }.ToJsonString());
    private readonly ClientWebSocket _socket = new();
    private Task _reader = Task.CompletedTask;

    public bool Closed { get; private set; }

    public async Task ConnectAsync(Uri url, IPAddress source, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _socket.Options.AddSubProtocol(WebPubSubSubprotocols.Json);
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await _socket.ConnectAsync(url, invoker, cancellationToken).ConfigureAwait(false);
        _reader = ReadAsync();
    }

    public async Task PingAsync()
    {
        if (Closed)
        {
            return;
        }

        try
        {
            await _socket.SendAsync(Ping, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            Closed = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _reader.ConfigureAwait(false);
        _socket.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[512];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        Closed = true;
    }
}
