using System.Text.Json.Nodes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using ChatBot;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Examples.Tests;

/// <summary>The example bot end to end: real sockets, the connector, Kafka and the workers running its hub.</summary>
public sealed class ChatBotPipelineTests(ChatBotPipelineFixture fixture) : IClassFixture<ChatBotPipelineFixture>
{
    private const int Timeout = 60_000;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task ABannedUserIsRefusedWith401BeforeTheUpgrade()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RawWebSocket.ConnectAsync(Host.ClientUrl("bot", "banned"), ct);
        Assert.Equal(401, client.Status);
        Assert.Equal("This user is banned.", await client.ReadRefusalBodyAsync(ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task AConnectionIsWelcomedByItsUserIdAndSeatedInTheLobby()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("bot", "alice-w", ct);
        var welcome = await alice.WaitForFrameAsync(f => (string?)f[WebPubSubFields.Type] == WebPubSubMessageTypes.Message, ct);
        Assert.Equal((WebPubSubDataTypes.Json, "alice-w"), ((string?)welcome[WebPubSubFields.DataType], (string?)welcome[WebPubSubFields.Data]!["welcome"]));

        await using var bob = await Host.ConnectAsync("bot", "bob-w", ct);
        await bob.WaitForFrameAsync(f => (string?)f[WebPubSubFields.Type] == WebPubSubMessageTypes.Message, ct);
        await bob.SendToGroupAsync(BotHub.Lobby, JsonValue.Create("from bob"), cancellationToken: ct);
        var seen = await alice.WaitForFrameAsync(f => (string?)f[WebPubSubFields.Group] == BotHub.Lobby, ct); // alice never joined: connect seated her
        Assert.Equal("from bob", (string?)seen[WebPubSubFields.Data]);
    }

    [Theory(Timeout = Timeout)]
    [InlineData(WebPubSubDataTypes.Text, "\"hi\"")]
    [InlineData(WebPubSubDataTypes.Json, """{"n":1,"s":"x"}""")]
    [InlineData(WebPubSubDataTypes.Binary, "\"AAEC/w==\"")]
    public async Task EchoAnswersAnInvocationWithTheSameDataAndType(string dataType, string data)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync("bot", "echoer", ct);
        var response = await InvokeAsync(client, "bot", "echo", dataType, JsonNode.Parse(data)!, ct);
        Assert.True((bool?)response[WebPubSubFields.Success]);
        Assert.Equal(dataType, (string?)response[WebPubSubFields.DataType]);
        Assert.Equal(JsonNode.Parse(data)!.ToJsonString(), response[WebPubSubFields.Data]!.ToJsonString());
    }

    [Fact(Timeout = Timeout)]
    public async Task AShoutReachesTheLobbyUpperCasedOnTheRoomsPartitionInTheSameOrderForEveryMember()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var shouter = await Host.ConnectAsync("bot", "shouter", ct);
        await using var bob = await Host.ConnectAsync("bot", "bob-o", ct);
        await using var carol = await Host.ConnectAsync("bot", "carol-o", ct);
        var tag = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        const int rounds = 20;
        for (var i = 0; i < rounds; i++)
        {
            await shouter.SendToGroupAsync(BotHub.Lobby, JsonValue.Create($"{tag} said {i}"), noEcho: true, cancellationToken: ct);
            await shouter.SendAsync(new JsonObject
            {
                [WebPubSubFields.Type] = WebPubSubMessageTypes.Event,
                [WebPubSubFields.Event] = "shout",
                [WebPubSubFields.DataType] = WebPubSubDataTypes.Text,
                [WebPubSubFields.Data] = $"{tag} shout {i}",
            }, cancellationToken: ct);
        }

        var seenByBob = await LobbyAsync(bob, tag, rounds, ct);
        var seenByCarol = await LobbyAsync(carol, tag, rounds, ct);
        Assert.Equal(seenByBob, seenByCarol);
        Assert.Equal(Enumerable.Range(0, rounds).Select(i => $"{tag} SHOUT {i}"), seenByBob.Where(m => m.Contains("SHOUT", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, rounds).Select(i => $"{tag} said {i}"), seenByBob.Where(m => m.Contains("said", StringComparison.Ordinal)));

        // The bot's message was produced with the room's key: it sits on the lobby's partition, among the lobby's messages.
        var partitions = await OutboundPartitionsOfAsync($"{tag} SHOUT 0", $"{tag} said 0", ct);
        Assert.Equal(partitions[0], partitions[1]);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnInvocationWhoseHandlerKeepsThrowingIsRetriedThenSetAsideAndTheCallerGetsInternalServerError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync(FlakyHub.Name, "caller", ct);
        var before = FlakyHub.Tries;
        var response = await InvokeAsync(client, FlakyHub.Name, "explode", WebPubSubDataTypes.Text, JsonValue.Create("go")!, ct);
        Assert.False((bool?)response[WebPubSubFields.Success]);
        Assert.Equal(AckErrorNames.InternalServerError, (string?)response[WebPubSubFields.Error]![WebPubSubFields.Name]);
        // Its tries, plus one when it was read in a batch with the connection's earlier records (the batch is tried once).
        Assert.InRange(FlakyHub.Tries - before, ChatBotPipelineFixture.MaxAttempts, ChatBotPipelineFixture.MaxAttempts + 1);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnInvocationOfAnEventNoMethodAnswersFailsWithNotFound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await Host.ConnectAsync("bot", "curious", ct);
        var response = await InvokeAsync(client, "bot", "nope", WebPubSubDataTypes.Text, JsonValue.Create("?")!, ct);
        Assert.Equal(AckErrorNames.NotFound, (string?)response[WebPubSubFields.Error]![WebPubSubFields.Name]);
    }

    private static async Task<JsonObject> InvokeAsync(WebPubSubTestClient client, string hub, string eventName, string dataType, JsonNode data, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        var answer = client.WaitForFrameAsync(f => (string?)f[WebPubSubFields.Type] == WebPubSubMessageTypes.InvokeResponse && (string?)f[WebPubSubFields.InvocationId] == id, ct);
        await client.SendRawAsync(new JsonObject
        {
            [WebPubSubFields.Type] = WebPubSubMessageTypes.Invoke,
            [WebPubSubFields.InvocationId] = id,
            [WebPubSubFields.Target] = WebPubSubInvokeTargets.Event,
            [WebPubSubFields.Event] = eventName,
            [WebPubSubFields.DataType] = dataType,
            [WebPubSubFields.Data] = data,
        }.ToJsonString(), ct);
        return await answer;
    }

    /// <summary>The lobby messages of this test a member got, in order, once the last of each sender's has arrived.</summary>
    private static async Task<List<string>> LobbyAsync(WebPubSubTestClient client, string tag, int rounds, CancellationToken ct)
    {
        await client.WaitForFrameAsync(f => Text(f) == $"{tag} said {rounds - 1}", ct);
        await client.WaitForFrameAsync(f => Text(f) == $"{tag} SHOUT {rounds - 1}", ct);
        return client.Frames.ToArray()
            .Where(f => (string?)f[WebPubSubFields.Group] == BotHub.Lobby && Text(f)?.StartsWith(tag, StringComparison.Ordinal) == true)
            .Select(f => Text(f)!)
            .ToList();
    }

    private static string? Text(JsonObject frame) => frame[WebPubSubFields.Data] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>The outbound partition of the first delivery carrying each text.</summary>
    private async Task<int[]> OutboundPartitionsOfAsync(string first, string second, CancellationToken ct)
    {
        var factory = Host.Services.GetRequiredService<KafkaClientFactory>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(factory.ConsumerConfig("bot-order-check", "bot-order-" + Guid.NewGuid().ToString("N"), c => c.EnableAutoCommit = false)).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var topic = factory.Topics.Outbound;
        var count = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics[0].Partitions.Count;
        consumer.Assign(Enumerable.Range(0, count).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var found = new Dictionary<string, int>();
        while (found.Count < 2)
        {
            ct.ThrowIfCancellationRequested();
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record?.Message?.Value is not { } value)
            {
                continue;
            }

            var delivery = ContractSerializer.DeserializeDelivery(value);
            if (delivery.Payload is { } payload && System.Text.Encoding.UTF8.GetString(payload).Trim('"') is var text && (text == first || text == second))
            {
                found.TryAdd(text, record.Partition.Value);
            }
        }

        Assert.Equal(PartitionKeys.PartitionOf(PartitionKeys.Room("bot", BotHub.Lobby), count), found[first]);
        return [found[first], found[second]];
    }
}
