using System.Net;
using System.Net.Sockets;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>The standalone functions process's <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, over real HTTP, on real Kafka.</summary>
public sealed class FunctionsHealthTests
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task WorkerProcessIsReadyOnceEveryWorkerJoinedTheGroupEvenOneWithoutPartitions()
    {
        var ct = TestContext.Current.CancellationToken;
        // Two partitions, three workers: one of them owns nothing and stands by.
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Functions = { InProcessWorkers = 0 },
            Kafka = { Partitions = 2 },
        });
        var url = $"http://127.0.0.1:{FreePort()}";
        await using var worker = FunctionsProcess.Start(host, new HostSettings { Functions = { HealthUrls = url, InProcessWorkers = 3 } });
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

        await Wait.UntilAsync(() => StatusOf(http, "/readyz") == HttpStatusCode.OK, ct);

        Assert.Equal("ok", await http.GetStringAsync("/healthz", ct));
        Assert.Equal("ready", await http.GetStringAsync("/readyz", ct));
        await using var alice = await host.ConnectAsync("health", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        var ack = await alice.SendToGroupAsync("g", "counted", cancellationToken: ct);
        Assert.True(ack!.Success, ack.ErrorMessage);
        var metrics = await http.GetStringAsync("/metrics", ct);
        Assert.Contains("brokerchat_functions_requests", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_heap_total_allocated", metrics, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task WorkerProcessStaysAliveButIsNoLongerReadyOnceKafkaIsGone()
    {
        KafkaForTheRun.RequireEmbedded("Kafka goes away with the host only when the host embeds it");
        var ct = TestContext.Current.CancellationToken;
        var host = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });
        var url = $"http://127.0.0.1:{FreePort()}";
        await using var worker = FunctionsProcess.Start(host, new HostSettings { Functions = { HealthUrls = url } });
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        await Wait.UntilAsync(() => StatusOf(http, "/readyz") == HttpStatusCode.OK, ct);

        await host.DisposeAsync(); // the embedded cluster goes with it

        await Wait.UntilAsync(() => StatusOf(http, "/readyz") == HttpStatusCode.ServiceUnavailable, ct);
        Assert.Equal("ok", await http.GetStringAsync("/healthz", ct));
        Assert.False(worker.HasExited);
    }

    private static HttpStatusCode? StatusOf(HttpClient http, string path)
    {
        try
        {
            using var response = http.GetAsync(path).GetAwaiter().GetResult();
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
