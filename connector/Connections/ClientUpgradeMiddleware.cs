using System.Buffers;
using BrokerChat.Connector.WebSockets;
using Microsoft.AspNetCore.Connections;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// Kestrel connection middleware in front of the HTTP server. It looks at the first bytes of every accepted
/// connection: a WebSocket upgrade for the client endpoint is answered here and the connection is served by
/// <see cref="ClientConnectionHandler"/> on the raw transport for the rest of its life; anything else (other paths,
/// TLS, HTTP/2, malformed requests) is handed to the HTTP server untouched, since nothing is consumed until the
/// request is known to be ours. The wait for the request head is bounded by <see cref="PendingHandshakes"/>.
/// </summary>
internal sealed class ClientUpgradeMiddleware(ClientConnectionHandler handler, PendingHandshakes pending)
{
    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        HttpRequestHead? head = null;
        var hub = "";
        pending.Add(context);
        try
        {
            var input = context.Transport.Input;
            while (true)
            {
                var result = await input.ReadAsync(context.ConnectionClosed).ConfigureAwait(false);
                var buffer = result.Buffer;
                var route = WebSocketHandshake.Classify(buffer);
                if (route == WebSocketHandshake.Route.ClientEndpoint && WebSocketHandshake.TryFindHeadEnd(buffer, out var end))
                {
                    var length = buffer.Slice(0, end).Length;
                    head = length <= WebSocketHandshake.MaxHeadBytes ? HttpRequestHead.Parse(buffer.Slice(0, end).ToArray()) : null;
                    if (head is not null
                        && WebSocketHandshake.HasToken(head["Upgrade"], "websocket")
                        && ClientConnectionHandler.TryMatchRoute(head.Path, () => head.ParseQuery().TryGetValue("hub", out var h) ? h.ToString() : null, out hub))
                    {
                        input.AdvanceTo(end);
                        break;
                    }

                    head = null;
                    route = WebSocketHandshake.Route.Pass;
                }

                if (route == WebSocketHandshake.Route.Pass || result.IsCompleted || buffer.Length > WebSocketHandshake.MaxHeadBytes)
                {
                    // Nothing examined: the HTTP server reads the same bytes at once and answers them.
                    input.AdvanceTo(buffer.Start);
                    break;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            return; // the client left, or did not finish its request head in time
        }
        finally
        {
            pending.Remove(context);
        }

        if (head is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        await handler.HandleAsync(context, head, hub).ConfigureAwait(false);
    }
}
