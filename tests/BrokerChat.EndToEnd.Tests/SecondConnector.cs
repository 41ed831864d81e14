using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>What the tests that move sessions between connectors share: a second connector, and numbered traffic.</summary>
internal static class SecondConnector
{
    /// <summary>Starts a connector (no workers) on the Kafka and topics of <paramref name="first"/>; it stops within 2 s.</summary>
    public static Task<BrokerChatHost> StartAsync(BrokerChatHost first, HostSettings? settings = null)
    {
        settings ??= new HostSettings();
        settings.Apply(first.JoinSettings);
        settings.Kafka.FetchWaitMaxMs = 10;
        settings.Functions.InProcessWorkers = 0;
        settings.Connector.ShutdownTimeout = TimeSpan.FromSeconds(2);
        return BrokerChatHost.StartAsync(settings);
    }

    /// <summary>Sends <c>{"n": from..to}</c> to one group, each acknowledged.</summary>
    public static async Task SendAsync(WebPubSubTestClient sender, string group, int from, int to, CancellationToken ct)
    {
        for (var n = from; n <= to; n++)
        {
            Assert.True((await sender.SendToGroupAsync(group, new JsonObject { ["n"] = n }, cancellationToken: ct))!.Success);
        }
    }

    /// <summary>Sends <c>{"n": from..to}</c> alternately to "lobby" (odd) and "room" (even), two rooms very likely on different partitions.</summary>
    public static async Task SendMixedAsync(WebPubSubTestClient sender, int from, int to, CancellationToken ct)
    {
        for (var n = from; n <= to; n++)
        {
            await SendAsync(sender, n % 2 == 0 ? "room" : "lobby", n, n, ct);
        }
    }
}
