using System.IO.Pipelines;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// Serves a client upgrade that came through the HTTP pipeline rather than straight off the transport
/// (<see cref="ClientUpgradeMiddleware"/>): after other requests on a kept-alive HTTP/1.1 connection, over TLS
/// terminated by Kestrel, or as an HTTP/2 extended CONNECT. The connection is admitted the same way and then run by
/// the same <see cref="ClientConnectionHandler"/> over the upgraded stream.
/// </summary>
internal sealed class HttpUpgradeEndpoint(ConnectionAdmission admission, ClientConnectionHandler handler)
{
    private static readonly Action<object> AbortHttpContext = static transport => ((HttpContext)transport).Abort();

    /// <summary>Answers the upgrade request for <paramref name="hub"/>, and runs the connection when it is admitted.</summary>
    public async Task HandleAsync(HttpContext context, string hub)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var connect = context.Features.Get<IHttpExtendedConnectFeature>();
        var headers = context.Request.Headers;
        var extendedConnect = connect?.IsExtendedConnect == true;
        Refusal? refusal;
        if (extendedConnect)
        {
            refusal = string.Equals(connect!.Protocol, "websocket", StringComparison.OrdinalIgnoreCase) && headers.SecWebSocketVersion.ToString() == "13"
                ? null
                : new Refusal(StatusCodes.Status400BadRequest, "bad_request", "This endpoint accepts WebSocket version 13 connections only.");
        }
        else
        {
            refusal = upgrade?.IsUpgradableRequest == true
                ? Refusal.BadRequest(WebSocketHandshake.CheckUpgradeHeaders(headers.Upgrade, headers.Connection, headers.SecWebSocketVersion, headers.SecWebSocketKey))
                : new Refusal(StatusCodes.Status400BadRequest, "bad_request", "This endpoint accepts WebSocket connections only.");
        }

        AdmittedClient? admitted = null;
        if (refusal is { } early)
        {
            admission.Refused(early);
        }
        else
        {
            var query = context.Request.Query;
            var request = new UpgradeRequest(hub, query[WebPubSubQueryParameters.AccessToken].FirstOrDefault(), headers.Authorization.FirstOrDefault(),
                WebSocketHandshake.Protocols(headers.SecWebSocketProtocol), context.Connection.RemoteIpAddress,
                query[WebPubSubQueryParameters.ConnectionId].FirstOrDefault(), query[WebPubSubQueryParameters.ReconnectionToken].FirstOrDefault(), context.Request, context.Connection.ClientCertificate);
            (admitted, var refused) = await admission.AdmitAsync(request, context.RequestAborted).ConfigureAwait(false);
            refusal = admitted is null ? refused : null;
        }

        if (admitted is not { } client)
        {
            var refused = refusal!.Value;
            context.Response.StatusCode = refused.Status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            if (refused.Status == StatusCodes.Status426UpgradeRequired)
            {
                context.Response.Headers.SecWebSocketVersion = "13";
            }

            var body = System.Text.Encoding.UTF8.GetBytes(refused.Reason);
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (client.Connection.Subprotocol is { } subprotocol)
        {
            context.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        Stream stream;
        try
        {
            if (extendedConnect)
            {
                stream = await connect!.AcceptAsync().ConfigureAwait(false);
            }
            else
            {
                context.Response.Headers.Connection = "Upgrade";
                context.Response.Headers.Upgrade = "websocket";
                context.Response.Headers.SecWebSocketAccept = WebSocketHandshake.AcceptValue(headers.SecWebSocketKey.ToString());
                stream = await upgrade!.UpgradeAsync().ConfigureAwait(false);
            }
        }
        catch
        {
            admission.Abandon(client);
            throw;
        }

        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            await handler.RunAsync(client, new DuplexPipe(input, output), context, AbortHttpContext).ConfigureAwait(false);
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>An upgraded stream's two directions.</summary>
    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
