using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Client.Tests.Fakes;

/// <summary>
/// A scripted Web PubSub server on Kestrel (127.0.0.1, a free port). It accepts every WebSocket on
/// <c>/client/hubs/{hub}</c> with the first offered subprotocol and hands it to the test as a
/// <see cref="FakeConnection"/>; the test decides what the server says, and when it drops or refuses the socket.
/// </summary>
public sealed class FakeWebPubSubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<FakeConnection> _accepted = Channel.CreateUnbounded<FakeConnection>();

    private FakeWebPubSubServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The server's base address, <c>ws://127.0.0.1:port</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>How many WebSocket upgrades were accepted.</summary>
    public int ConnectionCount => _connectionCount;

    private int _connectionCount;

    public static async Task<FakeWebPubSubServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeWebPubSubServer(app);
        app.UseWebSockets();
        app.Map("/client/hubs/{hub}", server.AcceptAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal));
        return server;
    }

    /// <summary>A client access URL for <paramref name="hub"/> with a made-up token.</summary>
    public Uri ClientUrl(string hub = "chat", string token = "token-1") => new(BaseUri, $"/client/hubs/{hub}?access_token={token}");

    /// <summary>The next accepted WebSocket (already accepted, or still to come).</summary>
    public async Task<FakeConnection> NextConnectionAsync(CancellationToken cancellationToken) =>
        await _accepted.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(TestTimeouts.Wait, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        while (_accepted.Reader.TryRead(out var connection))
        {
            connection.Abort();
        }

        await _app.StopAsync(CancellationToken.None).WaitAsync(TestTimeouts.Wait);
        await _app.DisposeAsync();
    }

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var subprotocol = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
        var socket = await context.WebSockets.AcceptWebSocketAsync(subprotocol);
        var uri = new Uri($"ws://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}");
        var connection = new FakeConnection(context, socket, uri, subprotocol);
        Interlocked.Increment(ref _connectionCount);
        _accepted.Writer.TryWrite(connection);
        await connection.ReceiveLoopAsync();
    }
}
