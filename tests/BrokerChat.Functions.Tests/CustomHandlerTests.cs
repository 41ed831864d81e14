using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting.CustomHandler;

namespace BrokerChat.Functions.Tests;

/// <summary>The functions as an Azure Functions custom handler: a real Kestrel on 127.0.0.1, posted to as the Functions host does.</summary>
public sealed class CustomHandlerTests(CustomHandlerFixture handler) : IClassFixture<CustomHandlerFixture>
{
    private const int Timeout = 30_000;
    private const string RoomKey = "chat/room";

    [Fact(Timeout = Timeout)]
    public async Task RootAnswersSoTheHostKnowsTheHandlerStarted()
    {
        var response = await handler.Client.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact(Timeout = Timeout)]
    public async Task BinaryRecordWithStringMetadataBecomesTheKafkaWorkersDeliveryKeyedByItsRoom()
    {
        var frame = ChatFunctionTests.Frame();

        var (outputs, logs) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = Convert.ToBase64String(ContractSerializer.Serialize(frame)) },
            ["Metadata"] = StringMetadata(partition: 3, offset: 42, key: RoomKey),
        }, TestContext.Current.CancellationToken);

        var (key, value) = Assert.Single(outputs);
        Assert.Equal(RoomKey, key);
        Assert.Equal(WorkerBytes(frame, new InboundPosition(3, 42)), Convert.FromBase64String(value));
        var delivery = ContractSerializer.DeserializeDelivery(Encoding.UTF8.GetBytes(value)); // as a connector reads it
        Assert.Equal(("3-42", DeliveryTarget.Group, "room", true), (delivery.MessageId, delivery.Target, delivery.Group, delivery.Ack!.Success));
        Assert.Empty(logs);
    }

    [Fact(Timeout = Timeout)]
    public async Task BinaryRecordWithNumericMetadataAndNoKeyIsKeyedLikeTheConnectorKeysIt()
    {
        var frame = ChatFunctionTests.Frame();
        frame.Kind = InboundKind.Event;
        (frame.Group, frame.EventName) = (null, "typing");

        var (outputs, _) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = Convert.ToBase64String(ContractSerializer.Serialize(frame)) },
            ["Metadata"] = new JsonObject { ["Partition"] = 1, ["Offset"] = 9 },
        }, TestContext.Current.CancellationToken);

        var (key, value) = Assert.Single(outputs);
        Assert.Equal("chat/@conn-1", key);
        Assert.Equal(WorkerBytes(frame, new InboundPosition(1, 9)), Convert.FromBase64String(value));
    }

    [Fact(Timeout = Timeout)]
    public async Task BinaryBatchKeepsItsOrderPositionsAndKeys()
    {
        var first = ChatFunctionTests.Frame();
        var second = ChatFunctionTests.Frame();
        second.Group = "other";
        var values = new JsonArray(Convert.ToBase64String(ContractSerializer.Serialize(first)), Convert.ToBase64String(ContractSerializer.Serialize(second)));

        var (outputs, _) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = values.ToJsonString() }, // the host sends the array as JSON text
            ["Metadata"] = new JsonObject
            {
                ["PartitionArray"] = "[3,5]",
                ["OffsetArray"] = "[\"42\",\"7\"]",
                ["KeyArray"] = JsonSerializer.Serialize(new[] { RoomKey, "chat/other" }),
            },
        }, TestContext.Current.CancellationToken);

        Assert.Equal(2, outputs.Count);
        Assert.Equal(new[] { RoomKey, "chat/other" }, outputs.Select(o => o.Key));
        Assert.Equal(WorkerBytes(first, new InboundPosition(3, 42)), Convert.FromBase64String(outputs[0].Value));
        Assert.Equal(WorkerBytes(second, new InboundPosition(5, 7)), Convert.FromBase64String(outputs[1].Value));
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestARuleRejectsBecomesAnAckErrorForTheSenderOnTheRoomsKey()
    {
        var frame = MessageModerationTests.Text("well darn");

        var (outputs, _) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = Convert.ToBase64String(ContractSerializer.Serialize(frame)) },
            ["Metadata"] = StringMetadata(partition: 0, offset: 1, key: RoomKey),
        }, TestContext.Current.CancellationToken);

        var (key, value) = Assert.Single(outputs);
        var delivery = ContractSerializer.DeserializeDelivery(Encoding.UTF8.GetBytes(value));
        Assert.Equal(RoomKey, key);
        Assert.Equal((false, DeliveryTarget.Connection, "conn-1"), (delivery.HasMessage, delivery.Target, delivery.ConnectionId));
        Assert.Equal((false, "Forbidden", "Rejected by rule 'blocked-words': The message contains the blocked word 'darn'."), (delivery.Ack!.Success, delivery.Ack.ErrorName, delivery.Ack.ErrorMessage));
    }

    [Fact(Timeout = Timeout)]
    public async Task StringDataTypeEventIsReadThroughItsDoubleEncodingAndItsMangledValueIsSkippedWithAHint()
    {
        // What dataType "string" delivers: a JSON string holding a JSON string holding the event, whose Value is
        // the record's bytes decoded as UTF-8 (MessagePack does not survive that).
        var bytes = ContractSerializer.Serialize(ChatFunctionTests.Frame());
        var kafkaEvent = JsonSerializer.Serialize(new
        {
            Offset = 42,
            Partition = 3,
            Topic = "brokerchat.inbound",
            Timestamp = "2026-11-23T12:00:00.000Z",
            Value = Encoding.UTF8.GetString(bytes),
            LeaderEpoch = 0,
            IsPartitionEOF = false,
            Key = RoomKey,
            Headers = Array.Empty<object>(),
        });

        var (outputs, logs) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = JsonSerializer.Serialize(kafkaEvent) },
            ["Metadata"] = StringMetadata(partition: 3, offset: 42, key: RoomKey),
        }, TestContext.Current.CancellationToken);

        Assert.Empty(outputs);
        var line = Assert.Single(logs);
        Assert.StartsWith("Record 3@42 is not a valid request and was skipped", line, StringComparison.Ordinal);
        Assert.Contains("\"dataType\": \"binary\"", line, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task StringDataTypeBatchGivesEachEventItsOwnPosition()
    {
        var events = new JsonArray(
            JsonSerializer.Serialize(new { Offset = 10, Partition = 2, Value = "not a request", Key = RoomKey, Headers = Array.Empty<object>() }),
            JsonSerializer.Serialize(new { Offset = 11, Partition = 2, Value = "nor this", Key = RoomKey, Headers = Array.Empty<object>() }));

        var (outputs, logs) = await InvokeAsync(new JsonObject { ["Data"] = new JsonObject { ["request"] = events.ToJsonString() } }, TestContext.Current.CancellationToken);

        Assert.Empty(outputs);
        Assert.Equal(new[] { "Record 2@10", "Record 2@11" }, logs.Select(l => l[..l.IndexOf(' ', 7)]));
    }

    [Fact(Timeout = Timeout)]
    public async Task MalformedRecordsAreLoggedAndSkippedWhileTheOthersAreCarriedOut()
    {
        var valid = ChatFunctionTests.Frame();

        var (outputs, logs) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = new JsonArray("AAAA", "not base64!", Convert.ToBase64String(ContractSerializer.Serialize(valid))).ToJsonString() },
            ["Metadata"] = new JsonObject { ["PartitionArray"] = "[1,1,1]", ["OffsetArray"] = "[5,6,7]" },
        }, TestContext.Current.CancellationToken);

        Assert.Equal(WorkerBytes(valid, new InboundPosition(1, 7)), Convert.FromBase64String(Assert.Single(outputs).Value));
        Assert.Equal(2, logs.Count);
        Assert.StartsWith("Record 1@5 is not a valid request and was skipped: Bytes were not a valid InboundFrame record", logs[0], StringComparison.Ordinal);
        Assert.Equal("Record 1@6 is not a valid request and was skipped: The value is not base64, as dataType 'binary' delivers it.", logs[1]);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("""{"Data":{"request":"AAAA"}}""", "no partition and offset")]
    [InlineData("""{"Data":{"other":"AAAA"},"Metadata":{"Partition":1,"Offset":1}}""", "no 'request'")]
    [InlineData("""{"Metadata":{}}""", "no Data object")]
    [InlineData("""not json""", "not JSON")]
    public async Task InvocationThatCannotBeCarriedOutFailsSoTheHostRetriesIt(string body, string reason)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await handler.Client.PostAsync(new Uri("/chat", UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken);
        Assert.Contains(reason, (string?)answer!["Logs"]![0], StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task UnknownFunctionIsNotFound()
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");

        var response = await handler.Client.PostAsync(new Uri("/orders", UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void ShippedAppDeclaresExactlyTheFunctionsAndBindingsTheHandlerServes()
    {
        var app = Path.Combine(
            typeof(CustomHandlerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!, "functions", "azure-app");
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(app, "host.json")))!;
        var functions = Directory.GetFiles(app, "function.json", SearchOption.AllDirectories);

        Assert.Equal("2.0", (string?)hostJson["version"]);
        Assert.Equal("BrokerChat.Functions", (string?)hostJson["customHandler"]!["description"]!["defaultExecutablePath"]);
        Assert.Equal(("Microsoft.Azure.Functions.ExtensionBundle", "[4.*, 5.0.0)"), ((string?)hostJson["extensionBundle"]!["id"], (string?)hostJson["extensionBundle"]!["version"]));
        Assert.Equal(CustomHandlerFunctions.Names.Order(), functions.Select(f => Path.GetFileName(Path.GetDirectoryName(f))!).Order());
        foreach (var file in functions)
        {
            var bindings = JsonNode.Parse(File.ReadAllText(file))!["bindings"]!.AsArray();
            var trigger = Assert.Single(bindings, b => (string?)b!["direction"] == "in")!;
            var output = Assert.Single(bindings, b => (string?)b!["direction"] == "out")!;
            Assert.Equal(("kafkaTrigger", CustomHandlerFunctions.TriggerBinding, "binary", "one"), ((string?)trigger["type"], (string?)trigger["name"], (string?)trigger["dataType"], (string?)trigger["cardinality"]));
            Assert.Equal(("kafka", CustomHandlerFunctions.OutputBinding), ((string?)output["type"], (string?)output["name"]));
            Assert.Null(output["dataType"]); // the record objects the handler returns need the binding's default (string) form
            Assert.All(new[] { trigger, output }, binding => Assert.Equal("%EventHubConnectionString%", (string?)binding["password"]));
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task TheApplicationsHubRunsBehindTheCustomHandlerAndItsGroupActionsAreKeyedByTheRoom()
    {
        var frame = ChatFunctionTests.Frame();
        (frame.Kind, frame.Hub, frame.Group, frame.AckId, frame.Payload) = (InboundKind.Connected, "shop", null, null, []);

        var (outputs, _) = await InvokeAsync(new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = Convert.ToBase64String(ContractSerializer.Serialize(frame)) },
            ["Metadata"] = StringMetadata(partition: 2, offset: 5, key: "shop/@conn-1"),
        }, TestContext.Current.CancellationToken);

        var deliveries = outputs.Select(o => (o.Key, Delivery: ContractSerializer.DeserializeDelivery(Encoding.UTF8.GetBytes(o.Value)))).ToList();
        Assert.Collection(deliveries,
            join => Assert.Equal(("shop/lobby", DeliveryCommand.AddToGroup, "conn-1", "2-5-1"), (join.Key, join.Delivery.Command, join.Delivery.ConnectionId, join.Delivery.MessageId)),
            send => Assert.Equal(("shop/lobby", DeliveryTarget.Group, "2-5-2"), (send.Key, send.Delivery.Target, send.Delivery.MessageId)));
    }

    private async Task<(List<(string Key, string Value)> Outputs, List<string> Logs)> InvokeAsync(JsonObject body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/" + CustomHandlerFunctions.Chat, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        var response = await handler.Client.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.True(answer.ContainsKey("ReturnValue") && answer["ReturnValue"] is null);
        var outputs = answer["Outputs"]![CustomHandlerFunctions.OutputBinding]!.AsArray().Select(o =>
        {
            // The fields the Kafka output binding requires to read an object as a record.
            Assert.All(new[] { "Offset", "Partition", "Topic", "Timestamp", "Value", "Headers" }, name => Assert.True(o!.AsObject().ContainsKey(name), name));
            Assert.True(DateTimeOffset.TryParse((string?)o!["Timestamp"], System.Globalization.CultureInfo.InvariantCulture, out _));
            return ((string)o["Key"]!, (string)o["Value"]!);
        }).ToList();
        return (outputs, answer["Logs"]!.AsArray().Select(l => (string)l!).ToList());
    }

    private static JsonObject StringMetadata(int partition, long offset, string key) => new()
    {
        // As the host writes trigger metadata: every scalar JSON-serialized into a string.
        ["Partition"] = partition.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Offset"] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Topic"] = "\"brokerchat.inbound\"",
        ["Key"] = JsonSerializer.Serialize(key),
        ["Timestamp"] = "2026-11-23T12:00:00",
        ["sys"] = new JsonObject { ["MethodName"] = "chat", ["UtcNow"] = "2026-11-23T12:00:01", ["RandGuid"] = Guid.NewGuid().ToString() },
    };

    /// <summary>The bytes the Kafka worker would produce for <paramref name="frame"/> read at <paramref name="position"/>.</summary>
    private byte[] WorkerBytes(InboundFrame frame, InboundPosition position) =>
        ContractSerializer.Serialize(Assert.Single(handler.Function.Handle(frame, position)));
}
