using BrokerChat.Peers.Bare;
using BrokerChat.Peers.SignalR;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Peers;

/// <summary>Which peer a process runs.</summary>
public enum PeerKind
{
    /// <summary>An ASP.NET Core SignalR hub, on the Redis backplane when one is given.</summary>
    SignalR,

    /// <summary>A bare Kestrel WebSocket broadcast server speaking the Web PubSub JSON protocol, no broker.</summary>
    Bare,
}

/// <summary>Builds and starts the peer servers, for the command line and for tests that host one in-process.</summary>
public static class PeerServer
{
    /// <summary>Parses a peer name as given on the command line (<c>signalr</c> or <c>bare</c>).</summary>
    public static bool TryParseKind(string text, out PeerKind kind)
    {
        switch (text.ToUpperInvariant())
        {
            case "SIGNALR":
                kind = PeerKind.SignalR;
                return true;
            case "BARE":
                kind = PeerKind.Bare;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>The command-line name of a peer.</summary>
    public static string Name(PeerKind kind) => kind == PeerKind.SignalR ? "signalr" : "bare";

    /// <summary>Builds the application of a peer from ASP.NET Core arguments (<c>--urls</c>, <c>--redis</c>, configuration keys).</summary>
    /// <param name="kind">Which peer.</param>
    /// <param name="args">ASP.NET Core arguments.</param>
    /// <param name="settings">Configuration keys added over the arguments, such as <c>Bare:QueueCapacity</c>.</param>
    public static WebApplication Build(PeerKind kind, string[] args, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (kind == PeerKind.SignalR)
        {
            SignalRPeer.AddServices(builder);
        }
        else
        {
            BarePeer.AddServices(builder);
        }

        var app = builder.Build();
        if (kind == PeerKind.SignalR)
        {
            SignalRPeer.Map(app);
        }
        else
        {
            BarePeer.Map(app);
        }

        app.MapGet("/healthz", () => "ok");
        return app;
    }

    /// <summary>Starts a peer on 127.0.0.1 and returns it running.</summary>
    /// <param name="kind">Which peer.</param>
    /// <param name="port">The port, or 0 for any free one.</param>
    /// <param name="redis">The Redis backplane of the SignalR peer (<c>host:port</c>), or null for none.</param>
    /// <param name="settings">Configuration keys, such as <c>Bare:QueueCapacity</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<RunningPeer> StartAsync(PeerKind kind, int port = 0, string? redis = null, IReadOnlyDictionary<string, string?>? settings = null, CancellationToken cancellationToken = default)
    {
        List<string> args = ["--urls", $"http://127.0.0.1:{port}"];
        if (redis is not null)
        {
            args.Add("--redis");
            args.Add(redis);
        }

        var app = Build(kind, [.. args], settings);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new RunningPeer(app, new Uri(app.Urls.First().TrimEnd('/') + "/"));
    }
}

/// <summary>A peer started in-process; disposing it stops it.</summary>
public sealed class RunningPeer : IAsyncDisposable
{
    internal RunningPeer(WebApplication app, Uri baseUri)
    {
        App = app;
        BaseUri = baseUri;
    }

    /// <summary>The application.</summary>
    public WebApplication App { get; }

    /// <summary>The HTTP base address, ending in a slash.</summary>
    public Uri BaseUri { get; }

    /// <summary>The WebSocket address of a path on this server (<c>chat</c>, <c>client/hubs/chat</c>).</summary>
    public Uri WebSocketUri(string path) => new($"ws://{BaseUri.Authority}/{path.TrimStart('/')}");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(timeout.Token).ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
