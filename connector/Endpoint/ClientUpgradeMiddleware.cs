using System.Buffers;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Transport;
using Microsoft.AspNetCore.Connections;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// Kestrel connection middleware in front of the HTTP server. It looks at the first bytes of every accepted
/// connection: a WebSocket upgrade for the client endpoint is answered here and the connection is served by
/// <see cref="ClientConnectionHandler"/> on the raw transport for the rest of its life; anything else (other paths,
/// TLS, HTTP/2, malformed requests) is handed to the HTTP server untouched, since nothing is consumed until the
/// request is known to be ours. The wait for the request head is bounded by <see cref="PendingHandshakes"/>.
/// </summary>
internal sealed class ClientUpgradeMiddleware(ClientConnectionHandler handler, PendingHandshakes pending)
{
    private enum Outcome
    {
        /// <summary>Not a client-endpoint upgrade: the HTTP server takes the connection.</summary>
        Pass,

        /// <summary>Refused (the response is written), or the client left.</summary>
        Done,

        /// <summary>Admitted: the 101 response is written.</summary>
        Admitted,
    }

    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        // The handshake is read in its own method so that nothing of the request head stays referenced by this one,
        // which lives as long as the connection.
        var (outcome, connection, groups) = await ReadHandshakeAsync(context).ConfigureAwait(false);
        switch (outcome)
        {
            case Outcome.Pass:
                await next(context).ConfigureAwait(false);
                break;
            case Outcome.Admitted:
                await handler.RunAsync(connection!, groups!, context.Transport, context, ClientConnectionHandler.AbortConnectionContext).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask<(Outcome, ClientConnection?, string[]?)> ReadHandshakeAsync(ConnectionContext context)
    {
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
                    var head = buffer.Slice(0, end);
                    var request = head.Length <= WebSocketHandshake.MaxHeadBytes ? HttpRequestHead.Parse(head.ToArray()) : null;
                    if (request is not null
                        && WebSocketHandshake.HasToken(request["Upgrade"], "websocket")
                        && ClientConnectionHandler.TryMatchRoute(request.Path, request.QueryValue("hub"), out var hub))
                    {
                        input.AdvanceTo(end);
                        var connection = handler.TryAdmit(context, request, hub, out var groups);
                        try
                        {
                            await context.Transport.Output.FlushAsync(context.ConnectionClosed).ConfigureAwait(false);
                        }
                        catch when (connection is not null)
                        {
                            handler.Abandon(connection);
                            throw;
                        }

                        if (connection is null)
                        {
                            return (Outcome.Done, null, null);
                        }

                        return (Outcome.Admitted, connection, groups);
                    }

                    route = WebSocketHandshake.Route.Pass;
                }

                if (route == WebSocketHandshake.Route.Pass || result.IsCompleted || buffer.Length > WebSocketHandshake.MaxHeadBytes)
                {
                    // Nothing examined: the HTTP server reads the same bytes at once and answers them.
                    input.AdvanceTo(buffer.Start);
                    return (Outcome.Pass, null, null);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            return (Outcome.Done, null, null); // the client left, or did not finish its request head in time
        }
        finally
        {
            pending.Remove(context);
        }
    }
}
