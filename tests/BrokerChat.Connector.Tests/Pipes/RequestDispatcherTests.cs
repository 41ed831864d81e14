using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Contracts.Names;
using BrokerChat.Testing;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// A connection's requests carried out by the receive loop and the request dispatcher over in-memory pipes: what a
/// client sends goes in as WebSocket frames, what it gets back is read as frames, and nothing reaches Kafka.
/// </summary>
public sealed class RequestDispatcherTests
{
    private static readonly string[] JoinRole = [Permissions.JoinLeaveGroup];

    [Fact]
    public async Task APingIsAnsweredWithAPongAfterTheConnectedMessage()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);

        Assert.Contains("\"event\":\"connected\"", await client.ReadTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync("""{"type":"ping"}""");

        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync());
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AJoinIsAcknowledgedAndPutsTheConnectionInTheGroup()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", JoinRole);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"joinGroup","group":"room","ackId":1}""");

        Assert.Equal("""{"type":"ack","ackId":1,"success":true}""", await client.ReadTextAsync());
        Assert.Equal(["c1"], services.Get<ConnectionIndex>().GroupMembers("chat", "room").Select(c => c.Id));
        await client.SendTextAsync("""{"type":"leaveGroup","group":"room","ackId":2}""");
        Assert.Equal("""{"type":"ack","ackId":2,"success":true}""", await client.ReadTextAsync());
        Assert.Empty(services.Get<ConnectionIndex>().GroupMembers("chat", "room"));
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AJoinWithoutTheRoleIsAnsweredForbiddenAndChangesNothing()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"joinGroup","group":"room","ackId":1}""");

        var ack = await client.ReadTextAsync();
        Assert.Contains("\"success\":false", ack, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"Forbidden\"", ack, StringComparison.Ordinal);
        Assert.Empty(services.Get<ConnectionIndex>().GroupMembers("chat", "room"));
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AnInvalidRequestIsAnsweredBadRequestAndTheConnectionCarriesOn()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", JoinRole);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"joinGroup","ackId":4}""");
        var ack = await client.ReadTextAsync();
        await client.SendTextAsync("""{"type":"ping"}""");

        Assert.Contains("\"ackId\":4", ack, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"BadRequest\"", ack, StringComparison.Ordinal);
        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync());
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AnUnknownRequestTypeIsAnsweredAndTheConnectionCarriesOn()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"somethingNew","ackId":9}""");
        var ack = await client.ReadTextAsync();
        await client.SendTextAsync("""{"type":"ping"}""");

        Assert.Contains("\"ackId\":9,\"success\":false", ack, StringComparison.Ordinal);
        Assert.Contains("Unknown request type", ack, StringComparison.Ordinal);
        Assert.Contains("somethingNew", ack, StringComparison.Ordinal);
        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync());
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AFrameThatIsNotJsonClosesTheConnectionWith1007()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync();

        await client.SendTextAsync("this is not json");

        var frame = await client.ReadFrameAsync();
        while (frame.Opcode != 8)
        {
            frame = await client.ReadFrameAsync();
        }

        Assert.Equal(1007, frame.CloseCode);
        await run.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(0, services.Get<ConnectionIndex>().Count);
    }

    [Fact]
    public async Task RequestsBeyondTheRateLimitAreAnsweredTooManyRequestsUntilTheBucketRefills()
    {
        await using var services = new ConnectorServices(new HostSettings { Connector = { MaxMessagesPerSecond = 1, MessageBurst = 1 } });
        var (client, run) = Start(services, "c1", "alice", JoinRole);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"joinGroup","group":"a","ackId":1}""");
        await client.SendTextAsync("""{"type":"joinGroup","group":"b","ackId":2}""");
        var first = await client.ReadTextAsync();
        var second = await client.ReadTextAsync();
        services.Clock.Advance(TimeSpan.FromSeconds(1));
        await client.SendTextAsync("""{"type":"joinGroup","group":"c","ackId":3}""");

        Assert.Equal("""{"type":"ack","ackId":1,"success":true}""", first);
        Assert.Contains("\"name\":\"TooManyRequests\"", second, StringComparison.Ordinal);
        Assert.Equal("""{"type":"ack","ackId":3,"success":true}""", await client.ReadTextAsync());
        Assert.Empty(services.Get<ConnectionIndex>().GroupMembers("chat", "b"));
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AnAckIdThatAlreadySucceededIsAnsweredDuplicateAndNotCarriedOutAgain()
    {
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", JoinRole);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"joinGroup","group":"room","ackId":5}""");
        await client.ReadTextAsync();
        await client.SendTextAsync("""{"type":"leaveGroup","group":"room","ackId":5}""");

        Assert.Contains("\"name\":\"Duplicate\"", await client.ReadTextAsync(), StringComparison.Ordinal);
        Assert.Equal(["c1"], services.Get<ConnectionIndex>().GroupMembers("chat", "room").Select(c => c.Id));
        await EndAsync(client, run);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnInvocationKafkaDoesNotTakeFailsAtOnceWithInternalServerErrorAndTheConnectionCarriesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync().WaitAsync(ct);

        await client.SendTextAsync("""{"type":"invoke","invocationId":"1","target":"event","event":"echo","dataType":"text","data":"hi"}""");
        var response = await client.ReadTextAsync().WaitAsync(ct);
        await client.SendTextAsync("""{"type":"cancelInvocation","invocationId":"1"}""");
        await client.SendTextAsync("""{"type":"ping"}""");

        Assert.StartsWith("""{"type":"invokeResponse","invocationId":"1","success":false,"error":{"name":"InternalServerError",""", response, StringComparison.Ordinal);
        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync().WaitAsync(ct));
        Assert.Equal(0, services.Get<ConnectionIndex>().All.Single().PendingInvocationCount);
        await EndAsync(client, run);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnInvokeWhoseDataDoesNotFitItsDataTypeIsAnsweredBadRequestThroughItsInvocationId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync().WaitAsync(ct);

        await client.SendTextAsync("""{"type":"invoke","invocationId":"2","target":"event","event":"echo","dataType":"binary","data":42}""");

        var response = await client.ReadTextAsync().WaitAsync(ct);
        Assert.StartsWith("""{"type":"invokeResponse","invocationId":"2","success":false,"error":{"name":"BadRequest",""", response, StringComparison.Ordinal);
        await EndAsync(client, run);
    }

    [Fact(Timeout = 30_000)]
    public async Task AConnectionWhoseConnectedRecordKafkaDoesNotTakeStillRunsAndAnnouncesNoEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync().WaitAsync(ct);

        await client.SendTextAsync("""{"type":"ping"}""");

        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync().WaitAsync(ct));
        Assert.False(services.Get<ConnectionIndex>().All.Single().Announced);
        await EndAsync(client, run);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnInvokeWithoutAnInvocationIdIsRefusedAsABadRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = new ConnectorServices();
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync().WaitAsync(ct);

        await client.SendTextAsync("""{"type":"invoke","ackId":3,"target":"event","event":"echo"}""");

        var ack = await client.ReadTextAsync().WaitAsync(ct);
        Assert.StartsWith("""{"type":"ack","ackId":3,"success":false,"error":{"name":"BadRequest",""", ack, StringComparison.Ordinal);
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AnInvocationOverTheRateLimitFailsWithTooManyRequests()
    {
        await using var services = new ConnectorServices(new HostSettings { Connector = { MaxMessagesPerSecond = 1, MessageBurst = 1 } });
        var (client, run) = Start(services, "c1", "alice", []);
        await client.ReadTextAsync();

        await client.SendTextAsync("""{"type":"ping"}""");
        await client.SendTextAsync("""{"type":"invoke","invocationId":"7","target":"event","event":"echo"}""");

        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync());
        var response = await client.ReadTextAsync();
        Assert.StartsWith("""{"type":"invokeResponse","invocationId":"7","success":false,"error":{"name":"TooManyRequests",""", response, StringComparison.Ordinal);
        await EndAsync(client, run);
    }

    [Fact]
    public async Task AnInvocationOverMessagePackIsAnsweredInMessagePack()
    {
        await using var services = new ConnectorServices();
        var client = new InMemoryClient();
        var admitted = services.Admit("c1", "alice", [], Frames.ClientProtocol.MessagePack);
        var run = services.Get<ClientConnectionHandler>().RunAsync(admitted, client, client, InMemoryClient.Abort);
        await client.ReadFrameAsync();
        var invoke = MessagePack.MessagePackSerializer.Serialize(new Dictionary<string, string> { ["type"] = "invoke", ["invocationId"] = "3", ["target"] = "event", ["event"] = "echo" }, cancellationToken: TestContext.Current.CancellationToken);

        await client.SendAsync(0x82, invoke);
        var frame = await client.ReadFrameAsync();

        var response = MessagePack.MessagePackSerializer.Deserialize<Dictionary<string, object>>(frame.Payload, MessagePack.MessagePackSerializerOptions.Standard.WithSecurity(MessagePack.MessagePackSecurity.UntrustedData), TestContext.Current.CancellationToken);
        Assert.Equal(2, frame.Opcode);
        Assert.Equal(("invokeResponse", "3", false), ((string)response["type"], (string)response["invocationId"], (bool)response["success"]));
        Assert.Equal("InternalServerError", ((Dictionary<object, object>)response["error"])["name"]);
        await EndAsync(client, run);
    }

    private static (InMemoryClient Client, Task Run) Start(ConnectorServices services, string id, string userId, string[] roles)
    {
        var client = new InMemoryClient();
        var admitted = services.Admit(id, userId, roles);
        var run = services.Get<ClientConnectionHandler>().RunAsync(admitted, client, client, InMemoryClient.Abort);
        return (client, run);
    }

    private static async Task EndAsync(InMemoryClient client, Task run)
    {
        await client.DisconnectAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }
}
