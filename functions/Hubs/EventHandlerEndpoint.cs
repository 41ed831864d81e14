using System.Buffers;
using System.IO.Pipelines;
using BrokerChat.Contracts.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Hubs;

/// <summary>Who may call the event-handler endpoint: the access keys its requests are signed with (<c>Auth:AccessKeys</c>, the connector's).</summary>
public sealed class EventHandlerOptions
{
    /// <summary>The configuration section, shared with the connector.</summary>
    public const string SectionName = "Auth";

    /// <summary>
    /// The access keys a request's <c>ce-signature</c> must be made with (any one of them). Default none: requests
    /// are not checked, which suits a listener only the connectors can reach.
    /// </summary>
    public List<string> AccessKeys { get; set; } = [];
}

/// <summary>
/// Serves the application's <c>connect</c> handlers over Web PubSub's CloudEvents HTTP protocol at
/// <see cref="WebPubSubCloudEvents.Path"/>, for connectors in other processes (configured with this URL as the hub's
/// event handler for <c>connect</c>). The other events reach the functions through Kafka, so only <c>connect</c>
/// (and the abuse-protection preflight) is answered here.
/// </summary>
public static class EventHandlerEndpoint
{
    /// <summary>Adds the endpoint's options (<see cref="EventHandlerOptions"/>).</summary>
    public static IServiceCollection AddBrokerChatEventHandler(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventHandlerOptions>().Bind(configuration.GetSection(EventHandlerOptions.SectionName));
        return services;
    }

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapBrokerChatEventHandler(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMethods(WebPubSubCloudEvents.Path, [HttpMethods.Options], (HttpContext context) =>
        {
            // Abuse protection: the handler agrees to take events from the origin that asks.
            context.Response.Headers[WebPubSubCloudEvents.AllowedOrigin] = context.Request.Headers[WebPubSubCloudEvents.RequestOrigin].ToString() is { Length: > 0 } origin ? origin : "*";
            return Results.Ok();
        });
        endpoints.MapPost(WebPubSubCloudEvents.Path, HandleAsync);
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, IEnumerable<IConnectEventHandler> handlers, IOptions<EventHandlerOptions> options, ILoggerFactory loggers)
    {
        var headers = context.Request.Headers;
        var hub = headers[WebPubSubCloudEvents.Hub].ToString();
        var connectionId = headers[WebPubSubCloudEvents.ConnectionId].ToString();
        var type = headers[WebPubSubCloudEvents.Type].ToString();
        if (hub.Length == 0 || connectionId.Length == 0)
        {
            return Results.BadRequest("A Web PubSub event needs the ce-hub and ce-connectionId headers.");
        }

        if (options.Value.AccessKeys.Count > 0 && !WebPubSubSignature.IsValid(headers[WebPubSubCloudEvents.Signature], connectionId, options.Value.AccessKeys))
        {
            return Results.Text("The ce-signature does not match an access key.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (type != WebPubSubCloudEvents.ConnectType)
        {
            return Results.BadRequest($"Only {WebPubSubCloudEvents.ConnectType} is served here: the other events reach the functions through Kafka.");
        }

        hub = hub.ToLowerInvariant();
        var handler = handlers.FirstOrDefault(h => h.Handles(hub));
        if (handler is null)
        {
            return Results.NoContent(); // no connect handler: the token alone admits
        }

        var body = await ReadBodyAsync(context.Request.BodyReader, context.RequestAborted).ConfigureAwait(false);
        var connect = body is null ? null : ConnectEventJson.ReadRequest(hub, connectionId, headers[WebPubSubCloudEvents.UserId].ToString() is { Length: > 0 } user ? user : null, body, out var error);
        if (connect is null)
        {
            return Results.BadRequest(body is null ? $"The body is larger than {ConnectEventJson.MaxBytes} bytes." : "The connect event is malformed.");
        }

        ConnectEventResult result;
        try
        {
            result = await handler.ConnectAsync(connect, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            HubsLog.ConnectFailed(loggers.CreateLogger(typeof(EventHandlerEndpoint)), hub, ex);
            return Results.Text("The connect handler failed.", statusCode: StatusCodes.Status500InternalServerError);
        }

        return result.Accepted
            ? Results.Bytes(ConnectEventJson.WriteResponse(result), "application/json")
            : Results.Text(result.Reason ?? "The connection was refused.", statusCode: result.Status is >= 400 and < 600 ? result.Status : StatusCodes.Status401Unauthorized);
    }

    private static async Task<byte[]?> ReadBodyAsync(PipeReader reader, CancellationToken token)
    {
        while (true)
        {
            var read = await reader.ReadAsync(token).ConfigureAwait(false);
            if (read.Buffer.Length > ConnectEventJson.MaxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start);
                return null;
            }

            if (read.IsCompleted)
            {
                var body = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                return body;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
