using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrokerChat.Functions.Hosting.CustomHandler;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The functions as an Azure Functions custom handler between two real Kafka topics, with this test standing in
/// for the Functions host: it reads inbound records as the Kafka trigger does (<c>dataType: binary</c>), posts each
/// invocation to the handler, and produces the returned output records as the Kafka output binding does (key and
/// value as UTF-8 text).
/// </summary>
public sealed class CustomHandlerPipelineTests
{
    private const int Timeout = 90_000;

    [Fact(Timeout = Timeout)]
    public async Task ClientsChatThroughTheCustomHandlerAsTheFunctionsHostCarriesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });
        await using var handler = CustomHandlerApp.Build([.. new HostSettings
        {
            Functions = { CustomHandler = { Port = 0 }, Moderation = { Hubs = { ["azure"] = { BlockedWords = ["darn"] } } } },
            DefaultLogLevel = "Warning",
        }.ToArgs()]);
        await handler.StartAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var carrying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var functionsHost = Task.Run(() => CarryAsync(host, new Uri(CustomHandlerApp.Addresses(handler)[0]), carrying, stop.Token), stop.Token);
        try
        {
            // Requests sent before the carrier has its partitions would be skipped by it.
            await carrying.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            await using var alice = await host.ConnectAsync("azure", "alice", ct);
            await using var bob = await host.ConnectAsync("azure", "bob", ct);
            await alice.JoinGroupAsync("g", ct);
            await bob.JoinGroupAsync("g", ct);

            // The ack itself travels back in the delivery's text form: its arrival shows the connector read it.
            Assert.True((await alice.SendToGroupAsync("g", new JsonObject { ["text"] = "hello" }, cancellationToken: ct))!.Success);
            var rejected = await alice.SendToGroupAsync("g", "oh darn", cancellationToken: ct);
            Assert.True((await bob.SendToGroupAsync("g", "hi alice", cancellationToken: ct))!.Success);

            Assert.Equal(("Forbidden", "Rejected by rule 'blocked-words': The message contains the blocked word 'darn'."), (rejected!.ErrorName, rejected.ErrorMessage));
            foreach (var member in new[] { alice, bob })
            {
                var first = await member.NextMessageAsync(ct);
                Assert.Equal(("alice", "hello"), ((string?)first["fromUserId"], (string?)first["data"]!["text"]));
                Assert.Equal("hi alice", (string?)(await member.NextMessageAsync(ct))["data"]);
                Assert.False(member.TryTakeMessage(out _));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => functionsHost);
        }
    }

    /// <summary>Consumes every inbound partition from its current end and carries each record through the handler.</summary>
    private static async Task CarryAsync(BrokerChatHost host, Uri handler, TaskCompletionSource carrying, CancellationToken ct)
    {
        var factory = host.Services.GetRequiredService<KafkaClientFactory>();
        var producer = host.Services.GetRequiredService<KafkaProducerHost>().Producer;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(factory.ConsumerConfig("functions-host", "functions-host-" + Guid.NewGuid().ToString("N"), c => c.EnableAutoCommit = false)).Build();
        consumer.Assign(Enumerable.Range(0, factory.Options.Partitions)
            .Select(p => new TopicPartition(factory.Topics.Inbound, p))
            .Select(tp => new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High))
            .ToList());
        carrying.TrySetResult();
        using var http = new HttpClient { BaseAddress = handler, Timeout = TimeSpan.FromSeconds(20) };
        while (true)
        {
            var record = consumer.Consume(ct);
            var invocation = new JsonObject
            {
                ["Data"] = new JsonObject { [CustomHandlerFunctions.TriggerBinding] = Convert.ToBase64String(record.Message.Value) },
                ["Metadata"] = new JsonObject
                {
                    ["Partition"] = record.Partition.Value.ToString(CultureInfo.InvariantCulture),
                    ["Offset"] = record.Offset.Value.ToString(CultureInfo.InvariantCulture),
                    ["Key"] = JsonSerializer.Serialize(Encoding.UTF8.GetString(record.Message.Key)),
                },
            };
            using var response = await http.PostAsJsonAsync("/" + CustomHandlerFunctions.Chat, invocation, ct);
            response.EnsureSuccessStatusCode();
            var answer = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            foreach (var output in answer["Outputs"]![CustomHandlerFunctions.OutputBinding]!.AsArray())
            {
                await producer.ProduceAsync(factory.Topics.Outbound, new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes((string)output!["Key"]!),
                    Value = Encoding.UTF8.GetBytes((string)output["Value"]!),
                }, ct);
            }
        }
    }
}
