using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Hosting;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;
using Microsoft.Extensions.Options;

namespace BrokerChat.LoadTool;

/// <summary>
/// <c>idle-ramp</c>: starts a connector as its own process (embedded Kafka, two workers) and, from this process,
/// opens idle WebSocket connections in steps (+1,000 every 2 s by default) up to a target, pinging each every 20 s
/// like the JS client; at every step it records the connector's RSS (from /proc) and managed heap (from /metrics),
/// connect failures and connect latency; then it holds the top for a while and counts survivors. With
/// <c>--heap-report</c> it ends by listing the connector's live managed memory by type, per connection.
/// </summary>
/// <example>
/// <c>dotnet run -c Release --project tests/BrokerChat.LoadTool -- idle-ramp --target 19000 --step 1000 --step-seconds 2 --hold-seconds 300</c>
/// </example>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "functions-throughput":
                return await FunctionsThroughput.RunAsync(args);
            case "upstream-throughput":
                return await UpstreamThroughput.RunAsync(args);
            case "bench":
                return await Bench.BenchRunner.RunAsync(args);
            case "drive":
                return await Bench.LoadDriver.RunAsync();
            case "render":
                return await Bench.BenchReportWriter.RenderCommandAsync(args);
            case "heap" when args.Length >= 3:
                // heap <pid> <connections>: live managed objects of a running server by type, per connection.
                Console.WriteLine(HeapReport.Create(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture)));
                return 0;
        }

        if (args.Length == 0 || args[0] != "idle-ramp")
        {
            Console.Error.WriteLine("usage: bench [--short] [--rounds N] [--systems BrokerChat,BrokerChat+history,SignalRRedis,Bare] [--scenarios idle,chat,broadcast,slowreaders,saturation,soak] [--soak-minutes M] [--reliable] [--processes N] [--out DIR] [--docs FILE | --no-docs] [--micro | --no-micro | --micro-only]");
            Console.Error.WriteLine("       render <results.json> [--docs docs/benchmarks.md]");
            Console.Error.WriteLine("       heap <pid> <connections>");
            Console.Error.WriteLine("       idle-ramp [--target N] [--step N] [--step-seconds S] [--hold-seconds S] [--sources N] [--heap-report]");
            Console.Error.WriteLine("       functions-throughput [--records N] [--rooms N] [--payload BYTES]");
            Console.Error.WriteLine("       upstream-throughput [--records N] [--connections N] [--express] [--EventHandlers:*=… --Functions:*=…]");
            return 2;
        }

        var target = Int(args, "--target", 19_000);
        var step = Int(args, "--step", 1_000);
        var stepSeconds = Int(args, "--step-seconds", 2);
        var holdSeconds = Int(args, "--hold-seconds", 300);
        var sources = Enumerable.Range(1, Int(args, "--sources", 4)).Select(i => IPAddress.Parse($"127.0.0.{i}")).ToArray();
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

        await using var connector = await ConnectorProcess.StartAsync(key,
        [
            "--Connector:MaxConnectionsPerAddress", "1000000",
            "--Connector:MaxConnectionsPerUser", "1000000",
        ]);
        var tokens = new AccessTokenService(Options.Create(new AuthOptions { AccessKeys = [key] }), TimeProvider.System);
        var audience = new Uri(connector.BaseUri, "client/hubs/idle").ToString();
        var url = new Uri($"ws://{connector.BaseUri.Authority}/client/hubs/idle?access_token={tokens.Mint(audience, "load", [Permissions.JoinLeaveGroup], [], TimeSpan.FromHours(4))}");
        var invokers = sources.Select(SocketInvoker.From).ToArray();

        var baselineRss = connector.RssBytes();
        var baselineHeap = await HeapAsync(connector);
        Console.WriteLine($"connector pid {connector.ProcessId}; baseline RSS {Mb(baselineRss)}, managed heap {Mb(baselineHeap)}");
        var report = new StringBuilder();
        report.AppendLine("| connections | failures | connect p50 | connect p99 | RSS | RSS per connection (above baseline) | managed heap | heap per connection (above baseline) |");
        report.AppendLine("|---|---|---|---|---|---|---|---|");

        var clients = new List<IdleClient>(target);
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var schedule = new Queue<(IdleClient Client, long Due)>(target);
        var pinger = PingLoopAsync(schedule, stop.Token);
        var ramp = Stopwatch.StartNew();
        while (clients.Count + failures < target)
        {
            var stepStarted = Stopwatch.GetTimestamp();
            var count = Math.Min(step, target - clients.Count - failures);
            var latencies = new double[count];
            var opened = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var client = new IdleClient();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.ConnectAsync(url, sources[i % sources.Length], invokers[i % invokers.Length], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    return client;
                }
                catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or TimeoutException or HttpRequestException)
                {
                    latencies[i] = double.NaN;
                    await client.DisposeAsync();
                    return null;
                }
            }));
            clients.AddRange(opened.OfType<IdleClient>());
            Schedule(schedule, opened.OfType<IdleClient>());

            failures += opened.Count(c => c is null);
            var connected = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
            var rss = connector.RssBytes();
            var heap = await HeapAsync(connector);
            var n = clients.Count;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"| {n:N0} | {failures} | {Pct(connected, 50):F1} ms | {Pct(connected, 99):F1} ms | {Mb(rss)} | {(rss - baselineRss) / (double)n / 1024:F2} KB | {Mb(heap)} | {(heap - baselineHeap) / (double)n / 1024:F2} KB |");
            report.AppendLine(line);
            Console.WriteLine(line);
            var remaining = TimeSpan.FromSeconds(stepSeconds) - Stopwatch.GetElapsedTime(stepStarted);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining);
            }
        }

        Console.WriteLine($"ramp took {ramp.Elapsed.TotalSeconds:F0} s; holding {clients.Count:N0} connections for {holdSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(holdSeconds));
        var survivors = clients.Count(c => !c.Closed);
        var serverCount = await connector.MetricAsync("brokerchat_connector_connections");
        var endRss = connector.RssBytes();
        var endHeap = await HeapAsync(connector);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"After holding {holdSeconds} s: {survivors:N0} of {target:N0} survived ({100.0 * survivors / target:F2} %); the connector counts {serverCount:N0}; RSS {Mb(endRss)} ({(endRss - baselineRss) / (double)survivors / 1024:F2} KB per connection above baseline, {endRss / (double)survivors / 1024:F2} KB total per connection); managed heap {Mb(endHeap)} ({(endHeap - baselineHeap) / (double)survivors / 1024:F2} KB per connection).");
        var reasons = string.Join(", ", (await connector.MetricLinesAsync("brokerchat_connector_connections_closed_total")).DefaultIfEmpty("none"));
        summary += $" Connections the connector closed, by reason: {reasons}.";
        report.AppendLine().AppendLine(summary);
        Console.WriteLine(summary);
        if (args.Contains("--heap-report"))
        {
            report.AppendLine().AppendLine(HeapReport.Create(connector.ProcessId, serverCount > 0 ? (int)serverCount : survivors));
        }

        Console.WriteLine();
        Console.WriteLine($"Baseline before any connection: RSS {Mb(baselineRss)}, managed heap {Mb(baselineHeap)}.");
        Console.WriteLine(report.ToString());

        await stop.CancelAsync();
        await pinger;
        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        foreach (var invoker in invokers)
        {
            invoker.Dispose();
        }

        return survivors == target ? 0 : 1;
    }

    /// <summary>
    /// Pings every client 20 s after it connected and every 20 s after that, as the JS client does. Clients wait in
    /// a queue ordered by when their next ping is due (appending keeps it ordered: every due time is "now + 20 s"),
    /// so a client added late in a fast ramp is not starved behind a round-robin cursor.
    /// </summary>
    private static async Task PingLoopAsync(Queue<(IdleClient Client, long Due)> schedule, CancellationToken cancellationToken)
    {
        var cycle = (long)(20 * Stopwatch.Frequency);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var due = new List<IdleClient>();
        try
        {
            while (await tick.WaitForNextTickAsync(cancellationToken))
            {
                var now = Stopwatch.GetTimestamp();
                due.Clear();
                lock (schedule)
                {
                    while (schedule.TryPeek(out var next) && next.Due <= now)
                    {
                        schedule.Dequeue();
                        due.Add(next.Client);
                        schedule.Enqueue((next.Client, now + cycle));
                    }
                }

                await Task.WhenAll(due.Select(c => c.PingAsync()));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Adds connected clients to the ping schedule.</summary>
    private static void Schedule(Queue<(IdleClient Client, long Due)> schedule, IEnumerable<IdleClient> clients)
    {
        var due = Stopwatch.GetTimestamp() + (long)(20 * Stopwatch.Frequency);
        lock (schedule)
        {
            foreach (var client in clients)
            {
                schedule.Enqueue((client, due));
            }
        }
    }

    private static async Task<double> HeapAsync(ConnectorProcess connector) =>
        await connector.MetricAsync("dotnet_gc_last_collection_heap_size_bytes");

    private static double Pct(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Mb(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024 / 1024:F1} MB");

    internal static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
