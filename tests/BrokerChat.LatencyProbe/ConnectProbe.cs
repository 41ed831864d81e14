using System.Diagnostics;
using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.LatencyProbe;

/// <summary>
/// What a hub's <c>connect</c> webhook adds to the WebSocket handshake: handshakes to a hub whose <c>connect</c> goes
/// to the unmodified <c>@azure/web-pubsub-express</c> upstream of <c>tests/js/web-pubsub-upstream.mjs</c> on
/// 127.0.0.1, and to a hub without a handler, one at a time, alternating, each timed from opening the TCP connection to
/// reading the <c>101</c> response.
/// </summary>
internal static class ConnectProbe
{
    public const string HookedHub = "hooked";
    public const string PlainHub = "plain";

    /// <summary>Starts the upstream; the host is then started with <see cref="Configure"/>'s settings.</summary>
    public static Task<ExpressUpstream> StartUpstreamAsync(CancellationToken cancellationToken) =>
        ExpressUpstream.StartAsync(NodeScripts.InRepository(typeof(ConnectProbe).Assembly), new JsonObject { ["hub"] = HookedHub }, cancellationToken);

    /// <summary>Points <see cref="HookedHub"/>'s <c>connect</c> at <paramref name="upstream"/>.</summary>
    public static HostSettings Configure(HostSettings settings, ExpressUpstream upstream)
    {
        settings.EventHandlers.Add(HookedHub, upstream.UrlTemplate, null, "connect");
        return settings;
    }

    public static async Task<(List<double> Hooked, List<double> Plain, int Failed)> RunAsync(BrokerChatHost host, int warmup, int handshakes, int intervalMs)
    {
        Console.WriteLine($"Opening {warmup} warm-up + {handshakes} measured handshakes per hub, alternating {HookedHub} (connect webhook) and {PlainHub} (none), one every {intervalMs} ms");
        var hooked = new List<double>(handshakes);
        var plain = new List<double>(handshakes);
        var failed = 0;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        for (var i = 0; i < warmup + handshakes; i++)
        {
            foreach (var (hub, into) in new[] { (HookedHub, hooked), (PlainHub, plain) })
            {
                var url = host.ClientUrl(hub, "user-" + i);
                var started = Stopwatch.GetTimestamp();
                await using var client = await RawWebSocket.ConnectAsync(url, CancellationToken.None);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (client.Status != 101)
                {
                    failed++;
                }
                else if (i >= warmup)
                {
                    into.Add(elapsed);
                }
            }

            await pace.WaitForNextTickAsync();
        }

        return (hooked, plain, failed);
    }
}
