using System.Diagnostics;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Functions.Hubs;
using BrokerChat.Testing;

namespace BrokerChat.LatencyProbe;

/// <summary>The hub <c>probe</c>: answers <c>invoke</c> of <c>echo</c> with the data it got.</summary>
[Hub(InvokeProbe.Hub)]
public sealed class ProbeHub : BrokerChatHub
{
    [Invocation("echo")]
    public static MessageData Echo(InvocationContext context) => context.Data;
}

/// <summary>
/// Invocation round trips: a client invokes <c>echo</c> one call at a time, at a fixed interval, and times each call
/// from sending the <c>invoke</c> to reading its <c>invokeResponse</c> (client → connector → Kafka → worker running
/// the hub → Kafka → connector → client).
/// </summary>
internal static class InvokeProbe
{
    public const string Hub = "probe";

    public static async Task<(List<double> Latencies, int Failed)> RunAsync(Uri server, int warmup, int calls, int intervalMs)
    {
        await using var client = await WebPubSubTestClient.ConnectAsync(server, Hub, "invoker");
        Console.WriteLine($"Invoking echo {warmup} warm-up + {calls} measured times, one call at a time every {intervalMs} ms, at {server}");
        var latencies = new List<double>(calls);
        var failed = 0;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        for (var i = 0; i < warmup + calls; i++)
        {
            var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var answer = client.WaitForFrameAsync(f => (string?)f[WebPubSubFields.Type] == WebPubSubMessageTypes.InvokeResponse && (string?)f[WebPubSubFields.InvocationId] == id);
            var started = Stopwatch.GetTimestamp();
            await client.SendRawAsync(new JsonObject
            {
                [WebPubSubFields.Type] = WebPubSubMessageTypes.Invoke,
                [WebPubSubFields.InvocationId] = id,
                [WebPubSubFields.Target] = WebPubSubInvokeTargets.Event,
                [WebPubSubFields.Event] = "echo",
                [WebPubSubFields.DataType] = WebPubSubDataTypes.Text,
                [WebPubSubFields.Data] = "ping " + id,
            }.ToJsonString());
            var response = await answer;
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response[WebPubSubFields.Success]?.GetValue<bool>() != true || (string?)response[WebPubSubFields.Data] != "ping " + id)
            {
                failed++;
            }
            else if (i >= warmup)
            {
                latencies.Add(elapsed);
            }

            await pace.WaitForNextTickAsync();
        }

        return (latencies, failed);
    }
}
