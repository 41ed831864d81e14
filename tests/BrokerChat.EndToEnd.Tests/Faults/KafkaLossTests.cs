using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using BrokerChat.Connector;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>A connector that loses Kafka while its clients stay connected sends them elsewhere, and takes them again once Kafka is back.</summary>
public sealed class KafkaLossTests
{
    private static readonly TimeSpan LossTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BeaconInterval = TimeSpan.FromSeconds(1);

    [Fact(Timeout = 120_000)]
    public async Task AConnectorCutOffFromKafkaTellsItsClientsToReconnectRefusesNewOnesAndIsNotReadyUntilKafkaIsBack()
    {
        KafkaForTheRun.RequireEmbedded("it takes every broker down and brings them back");
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            ["Connector:KafkaLossTimeout"] = LossTimeout.ToString(),
            ["Connector:PresenceBeaconInterval"] = BeaconInterval.ToString(),
        });
        var cluster = (EmbeddedKafkaCluster)host.Services.GetRequiredService<KafkaEndpoint>().Embedded!;
        var link = host.Services.GetRequiredService<KafkaLink>();
        using var http = new HttpClient { BaseAddress = host.BaseUri, Timeout = WebPubSubTestClient.DefaultTimeout };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz", ct)).StatusCode);

        await using var plain = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("cut", "plain"), cancellationToken: ct);
        await using var reliable = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("cut", "reliable"), new WebPubSubTestClientOptions { Reliable = true }, ct);
        await reliable.JoinGroupAsync("room", ct);
        Assert.True((await plain.SendToGroupAsync("room", new JsonObject { ["n"] = 1 }, cancellationToken: ct))!.Success);
        await reliable.WaitForFrameAsync(f => (int?)f["data"]?["n"] == 1, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

        var cut = Stopwatch.StartNew();
        for (var broker = 1; broker <= cluster.BrokerCount; broker++)
        {
            cluster.SetBrokerDown(broker);
        }

        try
        {
            foreach (var client in new[] { plain, reliable })
            {
                var (status, description) = await client.WaitForCloseAsync(ct);
                Assert.Equal((WebSocketCloseStatus)1012, status);
                Assert.Contains("Kafka", description, StringComparison.Ordinal);
                await client.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
            }

            var told = cut.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine($"Clients told to reconnect {told.TotalSeconds:0.00} s after Kafka went away (loss timeout {LossTimeout.TotalSeconds:0} s).");
            // The bound: the loss timeout, plus a beacon interval (the last beacon may have been just confirmed) and a heartbeat scan.
            Assert.True(told <= LossTimeout + BeaconInterval + TimeSpan.FromSeconds(1.5), $"Told after {told.TotalSeconds:0.00} s.");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("readyz", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await RefusedStatusAsync(host.ClientUrl("cut", "newcomer"), ct));
        }
        finally
        {
            for (var broker = 1; broker <= cluster.BrokerCount; broker++)
            {
                cluster.SetBrokerUp(broker);
            }
        }

        // Kafka is back: ready again, new clients are admitted and chat, and the reliable session resumes.
        await Wait.UntilAsync(() => !link.IsLost, ct);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz", ct)).StatusCode);
        await using var resumed = await reliable.ResumeAsync(host.ClientUrl("cut", "reliable"), ct);
        await using var newcomer = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("cut", "newcomer"), cancellationToken: ct);
        // Ready means a beacon got through; the functions may still be rejoining their group, so the first sends can
        // get Timeout acks. Chat is back once a send succeeds, within a bound.
        var back = Stopwatch.StartNew();
        var n = 2;
        for (; ; n++)
        {
            var ack = await newcomer.SendToGroupAsync("room", new JsonObject { ["n"] = n }, cancellationToken: ct);
            if (ack!.Success)
            {
                break;
            }

            Assert.Equal("Timeout", ack.ErrorName);
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(60), $"No send succeeded within {back.Elapsed.TotalSeconds:0} s of Kafka's return.");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"First success ack {back.Elapsed.TotalSeconds:0.00} s after the connector was ready again.");
        // The resumed session is in its room again (a refused resume would be closed with 1008 instead).
        await resumed.WaitForFrameAsync(f => (int?)f["data"]?["n"] == n, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        Assert.False(resumed.Closed.Task.IsCompleted);
    }

    private static async Task<HttpStatusCode?> RefusedStatusAsync(Uri url, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct));
        return socket.HttpStatusCode;
    }
}
