using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Functions.Hubs;
using BrokerChat.Testing;

namespace BrokerChat.LatencyProbe;

/// <summary>
/// End-to-end latency between two clients in one room: a sender publishes N messages at a fixed interval, a
/// receiver in the same room records when each arrives; latency is send → receipt (client → connector → Kafka →
/// function → Kafka → connector → client). With no <c>--url</c> it starts a whole BrokerChat in this process
/// (embedded Kafka, two workers), as <c>dotnet run --project connector</c> does.
/// </summary>
/// <example>
/// <c>dotnet run -c Release --project tests/BrokerChat.LatencyProbe -- --messages 1000 --interval-ms 5</c>
/// <c>dotnet run -c Release --project tests/BrokerChat.LatencyProbe -- --url http://127.0.0.1:5000/</c>
/// <c>dotnet run -c Release --project tests/BrokerChat.LatencyProbe -- --invoke --messages 1000</c> times invocation
/// round trips instead (<see cref="InvokeProbe"/>; with <c>--url</c>, the server must run <see cref="ProbeHub"/>).
/// <c>dotnet run -c Release --project tests/BrokerChat.LatencyProbe -- --connect --messages 1000 --interval-ms 2</c>
/// times handshakes to a hub with a <c>connect</c> webhook against one without (<see cref="ConnectProbe"/>; in this
/// process only, since it configures the hub).
/// </example>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        var messages = IntArg(args, "--messages", 1000);
        var warmup = IntArg(args, "--warmup", 100);
        var intervalMs = IntArg(args, "--interval-ms", 5);
        var url = StringArg(args, "--url");

        BrokerChatHost? host = null;
        ExpressUpstream? upstream = null;
        Uri server;
        if (url is null)
        {
            Console.WriteLine($"Starting BrokerChat in this process (2 function workers). {TestKafka.Current.Describe()}...");
            var settings = new HostSettings().WithoutRateLimits();
            if (args.Contains("--connect"))
            {
                upstream = await ConnectProbe.StartUpstreamAsync(CancellationToken.None);
                ConnectProbe.Configure(settings, upstream);
            }

            host = await BrokerChatHost.StartAsync(settings, services => services.AddBrokerChatHub<ProbeHub>());
            server = host.BaseUri;
        }
        else
        {
            server = new Uri(url.TrimEnd('/') + "/");
        }

        try
        {
            if (args.Contains("--connect"))
            {
                if (host is null)
                {
                    Console.Error.WriteLine("--connect runs BrokerChat in this process: leave out --url.");
                    return 2;
                }

                var (hooked, plain, connectFailures) = await ConnectProbe.RunAsync(host, warmup, messages, intervalMs);
                Console.WriteLine();
                Console.WriteLine($"Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
                Console.WriteLine($"Handshakes measured: {hooked.Count} + {plain.Count}; failed: {connectFailures}");
                Report($"handshake, hub with a connect webhook on 127.0.0.1 ({ConnectProbe.HookedHub})", hooked);
                Report($"handshake, hub without a handler ({ConnectProbe.PlainHub})", plain);
                return connectFailures == 0 && hooked.Count == messages ? 0 : 1;
            }

            if (args.Contains("--invoke"))
            {
                var (invocations, invokeFailures) = await InvokeProbe.RunAsync(server, warmup, messages, intervalMs);
                Console.WriteLine();
                Console.WriteLine($"Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
                Console.WriteLine($"Invocations measured: {invocations.Count}; failed: {invokeFailures}");
                Report("invoke round trip (invoke -> invokeResponse)", invocations);
                return invokeFailures == 0 && invocations.Count == messages ? 0 : 1;
            }

            var room = "probe-" + Guid.NewGuid().ToString("N")[..8];
            await using var sender = await WebPubSubTestClient.ConnectAsync(server, "latency", "sender");
            await using var receiver = await WebPubSubTestClient.ConnectAsync(server, "latency", "receiver");
            await receiver.JoinGroupAsync(room);

            Console.WriteLine($"Sending {warmup} warm-up + {messages} measured messages, one every {intervalMs} ms, to room {room} at {server}");
            var total = warmup + messages;
            var sentAt = new long[total];
            var latencies = new List<double>(messages);
            var ackLatencies = new List<double>(messages);
            var receive = Task.Run(async () =>
            {
                for (var i = 0; i < total; i++)
                {
                    var (frame, receivedAt) = await receiver.NextMessageWithTimestampAsync();
                    var n = (int)frame[WebPubSubFields.Data]!["n"]!;
                    if (n >= warmup)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sentAt[n], receivedAt).TotalMilliseconds);
                    }
                }
            });

            var acks = new List<(int N, Task<AckFrame> Ack)>(total);
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
            for (var i = 0; i < total; i++)
            {
                sentAt[i] = Stopwatch.GetTimestamp();
                var ack = await sender.SendWithoutWaitingAsync(new JsonObject
                {
                    [WebPubSubFields.Type] = WebPubSubMessageTypes.SendToGroup,
                    [WebPubSubFields.Group] = room,
                    [WebPubSubFields.DataType] = WebPubSubDataTypes.Json,
                    [WebPubSubFields.Data] = new JsonObject { ["n"] = i },
                    [WebPubSubFields.NoEcho] = true,
                });
                var n = i;
                acks.Add((n, ack.ContinueWith(t =>
                {
                    if (n >= warmup)
                    {
                        lock (ackLatencies)
                        {
                            ackLatencies.Add(Stopwatch.GetElapsedTime(sentAt[n]).TotalMilliseconds);
                        }
                    }

                    return t.Result;
                }, TaskScheduler.Default)));
                await pace.WaitForNextTickAsync();
            }

            await receive.WaitAsync(TimeSpan.FromSeconds(60));
            var failed = (await Task.WhenAll(acks.Select(a => a.Ack))).Count(a => !a.Success);

            Console.WriteLine();
            Console.WriteLine($"Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
            Console.WriteLine($"Messages measured: {latencies.Count}; failed acks: {failed}");
            Report("end-to-end (send -> other client receives)", latencies);
            Report("ack (send -> sender's ack)", ackLatencies);
            return failed == 0 && latencies.Count == messages ? 0 : 1;
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            if (upstream is not null)
            {
                await upstream.DisposeAsync();
            }
        }
    }

    private static void Report(string name, List<double> values)
    {
        values.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: p50 {Percentile(values, 50):F1} ms, p90 {Percentile(values, 90):F1} ms, p99 {Percentile(values, 99):F1} ms, max {values[^1]:F1} ms"));
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int IntArg(string[] args, string name, int fallback) =>
        StringArg(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
