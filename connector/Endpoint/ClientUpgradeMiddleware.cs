using System.Buffers;
using System.Net;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// Kestrel connection middleware in front of the HTTP server. It looks at the first bytes of every accepted
/// connection: a WebSocket upgrade for the client endpoint is answered here and the connection is served by
/// <see cref="ClientConnectionHandler"/> on the raw transport (admitted by <see cref="ConnectionAdmission"/>) for the rest of its life; anything else (other paths,
/// TLS, HTTP/2, malformed requests) is handed to the HTTP server untouched, since nothing is consumed until the
/// request is known to be ours. The wait for the request head is bounded by <see cref="PendingHandshakes"/>.
/// </summary>
internal sealed class ClientUpgradeMiddleware(ConnectionAdmission admission, ClientConnectionHandler handler, PendingHandshakes pending)
{
    /// <summary>Ends a connection served on a Kestrel transport.</summary>
    private static readonly Action<object> AbortConnectionContext = static transport =>
        ((ConnectionContext)transport).Abort(new ConnectionAbortedException("The connector ended the WebSocket connection."));

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
        var (outcome, admitted) = await ReadHandshakeAsync(context).ConfigureAwait(false);
        switch (outcome)
        {
            case Outcome.Pass:
                await next(context).ConfigureAwait(false);
                break;
            case Outcome.Admitted:
                await handler.RunAsync(admitted!.Value, context.Transport, context, AbortConnectionContext).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask<(Outcome, AdmittedClient?)> ReadHandshakeAsync(ConnectionContext context)
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
                        && ClientRoute.TryMatch(request.Path, request.QueryValue(WebPubSubQueryParameters.Hub), out var hub))
                    {
                        input.AdvanceTo(end);
                        var admitted = await AnswerAsync(context, request, hub).ConfigureAwait(false);
                        try
                        {
                            await context.Transport.Output.FlushAsync(context.ConnectionClosed).ConfigureAwait(false);
                        }
                        catch when (admitted is not null)
                        {
                            admission.Abandon(admitted.Value);
                            throw;
                        }

                        return admitted is null ? (Outcome.Done, null) : (Outcome.Admitted, admitted);
                    }

                    route = WebSocketHandshake.Route.Pass;
                }

                if (route == WebSocketHandshake.Route.Pass || result.IsCompleted || buffer.Length > WebSocketHandshake.MaxHeadBytes)
                {
                    // Nothing examined: the HTTP server reads the same bytes at once and answers them.
                    input.AdvanceTo(buffer.Start);
                    return (Outcome.Pass, null);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            return (Outcome.Done, null); // the client left, or did not finish its request head in time
        }
        finally
        {
            pending.Remove(context);
        }
    }

    /// <summary>
    /// Writes the answer to an upgrade read straight off the connection (the caller flushes it): the 101 response and
    /// the admitted client, or the response saying why it was refused and null. Waits only for a hub's <c>connect</c>
    /// handler, within the handshake timeout.
    /// </summary>
    private async ValueTask<AdmittedClient?> AnswerAsync(ConnectionContext context, HttpRequestHead head, string hub)
    {
        var key = head["Sec-WebSocket-Key"];
        AdmittedClient? admitted = null;
        var refusal = Refusal.BadRequest(WebSocketHandshake.CheckUpgradeHeaders(head["Upgrade"], head["Connection"], head["Sec-WebSocket-Version"], key));
        if (refusal is { } early)
        {
            admission.Refused(early);
        }
        else
        {
            var request = new UpgradeRequest(hub, head.QueryValue(WebPubSubQueryParameters.AccessToken), head["Authorization"],
                WebSocketHandshake.Protocols(head["Sec-WebSocket-Protocol"]), (context.RemoteEndPoint as IPEndPoint)?.Address,
                head.QueryValue(WebPubSubQueryParameters.ConnectionId), head.QueryValue(WebPubSubQueryParameters.ReconnectionToken), head,
                context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate);
            (admitted, var refused) = await admission.AdmitAsync(request, context.ConnectionClosed).ConfigureAwait(false);
            refusal = admitted is null ? refused : null;
        }

        var output = context.Transport.Output;
        if (admitted is not { } client)
        {
            WebSocketHandshake.WriteRefusal(output, refusal!.Value.Status, refusal.Value.Reason);
            return null;
        }

        WebSocketHandshake.WriteAccept(output, key!, client.Connection.Subprotocol);
        return client;
    }
}
