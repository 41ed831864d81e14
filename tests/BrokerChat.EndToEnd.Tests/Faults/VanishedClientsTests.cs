using System.Diagnostics;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Inbound;
using BrokerChat.Testing;
using BrokerChat.Testing.Network;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Clients on a host of their own (a network namespace) whose link is cut: their packets vanish, no FIN or reset
/// reaches the connector, which must find them by the client timeout alone and free everything they held.
/// </summary>
public sealed class VanishedClientsTests
{
    private const int Clients = 5_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(4);

    [Fact(Timeout = 240_000)]
    public async Task ClientsWhoseNetworkVanishesWithoutAFinAreFreedWithinTheClientTimeoutAndASecond()
    {
        var ct = TestContext.Current.CancellationToken;
        if (await NetworkLab.SkipReasonAsync() is { } unavailable)
        {
            Assert.Skip(unavailable);
        }

        await using var lab = await NetworkLab.CreateAsync(1);
        var clientsHost = lab.Hosts[0];
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Urls = $"http://{clientsHost.ServerAddress}:0",
            Connector = { MaxConnectionsPerAddress = 100_000, MaxConnectionsPerUser = 100_000 },
            ["Connector:ClientTimeout"] = ClientTimeout.ToString(),
            ["Connector:KeepAliveInterval"] = (ClientTimeout / 2).ToString(),
        }.WithoutRateLimits());
        var connections = host.Services.GetRequiredService<ConnectionIndex>();
        var limiter = host.Services.GetRequiredService<ConnectionLimiter>();
        var capacity = host.Services.GetRequiredService<InboundCapacity>();
        var url = host.ClientUrl("vanish", "member");

        // A bystander in the server's own namespace, in a room of its own, and a sender beside it.
        await using var bystander = await WebPubSubTestClient.ConnectUrlAsync(url, cancellationToken: ct);
        await bystander.JoinGroupAsync("bystanders", ct);
        var vanishing = new List<WebPubSubTestClient>(Clients);
        try
        {
            var options = WebPubSubTestClientOptions.Default with { CreateSocket = clientsHost.CreateSocket };
            for (var start = 0; start < Clients; start += 250)
            {
                var batch = await Task.WhenAll(Enumerable.Range(start, 250).Select(async i =>
                {
                    var client = await WebPubSubTestClient.ConnectUrlAsync(url, options, ct);
                    await client.JoinGroupAsync($"room-{i % 100}", ct);
                    return client;
                }));
                vanishing.AddRange(batch);
            }

            Assert.Equal(Clients + 1, connections.Count);

            // Requests still in flight when the network goes: their acks and the room's messages are never read.
            await Task.WhenAll(vanishing.Where((_, i) => i % 10 == 0).Select((c, i) =>
                c.SendRawAsync($$"""{"type":"sendToGroup","group":"room-{{i % 100}}","data":"last words","ackId":1}""", ct)));
            var cut = Stopwatch.StartNew();
            await clientsHost.CutAsync();

            await Wait.UntilAsync(() => connections.Count == 1 && connections.GroupCount == 1 && limiter.Total == 1 && capacity.Pending == 0 && connections.ActiveHandlers == 1, ct);
            var freed = cut.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine($"{Clients} vanished clients freed {freed.TotalSeconds:0.00} s after the cut (client timeout {ClientTimeout.TotalSeconds:0} s).");
            Assert.True(freed <= ClientTimeout + TimeSpan.FromSeconds(1.5), $"Freed {freed.TotalSeconds:0.00} s after the cut; the bound is the client timeout ({ClientTimeout.TotalSeconds:0} s) and a second.");

            // Nothing else was lost: the bystander still chats.
            await bystander.SendToGroupAsync("bystanders", new JsonObject { ["still"] = "here" }, cancellationToken: ct);
            await bystander.WaitForFrameAsync(f => (string?)f["group"] == "bystanders" && f["data"]?["still"] is not null, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        }
        finally
        {
            foreach (var client in vanishing)
            {
                client.Abort(); // its link is gone: no close handshake to wait for
                await client.DisposeAsync();
            }
        }
    }
}
