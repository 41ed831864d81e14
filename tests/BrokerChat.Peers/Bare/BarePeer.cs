using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Peers.Bare;

/// <summary>
/// The bare peer: WebSockets at <c>/client/hubs/{hub}</c> (the connector's URL shape; the access token is not
/// checked), the <c>json.webpubsub.azure.v1</c> subprotocol when offered, rooms per hub in memory.
/// </summary>
internal static class BarePeer
{
    /// <summary>The Web PubSub JSON subprotocol.</summary>
    public const string Subprotocol = "json.webpubsub.azure.v1";

    public static void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.Configure<BareOptions>(builder.Configuration.GetSection(BareOptions.Section));
        builder.Services.AddSingleton<BareHubs>();
    }

    public static void Map(WebApplication app)
    {
        var hubs = app.Services.GetRequiredService<BareHubs>();
        var options = app.Services.GetRequiredService<IOptions<BareOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BrokerChat.Peers.Bare");
        app.Lifetime.ApplicationStopping.Register(hubs.CloseAll);
        app.UseWebSockets();
        app.Map("/client/hubs/{hub}", async (HttpContext context, string hub) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var offered = context.WebSockets.WebSocketRequestedProtocols.Any(p => string.Equals(p, Subprotocol, StringComparison.OrdinalIgnoreCase));
            using var socket = await context.WebSockets.AcceptWebSocketAsync(offered ? Subprotocol : null).ConfigureAwait(false);
            var connection = new BareConnection(socket, hubs.Rooms(hub), options, logger, Guid.NewGuid().ToString("N"), context.Request.Query["userId"].FirstOrDefault());
            hubs.Connections[connection] = 0;
            try
            {
                await connection.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                hubs.Connections.TryRemove(connection, out _);
            }
        });
    }
}

/// <summary>The rooms of every hub, and the open connections (closed with 1001 when the server stops).</summary>
internal sealed class BareHubs
{
    private readonly ConcurrentDictionary<string, RoomTable> _hubs = new(StringComparer.Ordinal);

    /// <summary>Open connections (a set: the values are unused).</summary>
    public ConcurrentDictionary<BareConnection, byte> Connections { get; } = new();

    /// <summary>The rooms of a hub.</summary>
    public RoomTable Rooms(string hub) => _hubs.GetOrAdd(hub, static _ => new RoomTable());

    /// <summary>Closes every connection as the server goes away.</summary>
    public void CloseAll()
    {
        foreach (var connection in Connections.Keys)
        {
            connection.Close(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "server stopping");
        }
    }
}
