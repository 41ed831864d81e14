using System.Text;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Outbound;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Testing;
using MessagePack;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// The functions' <c>invokeResponse</c> deliveries reaching the caller of an invocation held here, in its protocol;
/// and what the connector answers itself when no response comes.
/// </summary>
public sealed partial class FanOutTests
{
    private static readonly MessagePackSerializerOptions Untrusted = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    [Theory(Timeout = 30_000)]
    [InlineData(DataType.Text, "pong", """{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"text","data":"pong"}""")]
    [InlineData(DataType.Json, """{"a":[1,2]}""", """{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"json","data":{"a":[1,2]}}""")]
    [InlineData(DataType.Binary, "\u0001\u0002\u0003", """{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"binary","data":"AQID"}""")]
    [InlineData(DataType.Text, null, """{"type":"invokeResponse","invocationId":"1","success":true}""")]
    public async Task AnInvokeResponseReachesAJsonCallerWithItsDataEncodedAsInAMessage(DataType dataType, string? data, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, connection) = await CallerAsync(services, "c1", ClientProtocol.Json, "1", ct);

        Dispatch(services, Response("c1", "1", dataType, data), offset: 0);

        Assert.Equal(expected, await client.ReadTextAsync().WaitAsync(ct));
        Assert.Equal(0, connection.PendingInvocationCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task AFailedInvokeResponseReachesAJsonCallerWithItsError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, _) = await CallerAsync(services, "c1", ClientProtocol.JsonReliable, "1", ct);
        var response = Response("c1", "1", DataType.Text, null);
        (response.ErrorName, response.ErrorMessage) = ("NotFound", "No handler answers echo.");

        Dispatch(services, response, offset: 0);

        Assert.Equal("""{"type":"invokeResponse","invocationId":"1","success":false,"error":{"name":"NotFound","message":"No handler answers echo."}}""", await client.ReadTextAsync().WaitAsync(ct));
    }

    [Theory(Timeout = 30_000)]
    [InlineData(DataType.Text, "pong")]
    [InlineData(DataType.Json, """{"a":1}""")]
    [InlineData(DataType.Binary, "\u0001\u0002\u0003")]
    public async Task AnInvokeResponseReachesAMessagePackCallerWithItsDataEncodedAsInAMessage(DataType dataType, string data)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, _) = await CallerAsync(services, "m1", ClientProtocol.MessagePack, "7", ct);

        Dispatch(services, Response("m1", "7", dataType, data), offset: 0);

        var frame = await client.ReadFrameAsync().WaitAsync(ct);
        var map = MessagePackSerializer.Deserialize<Dictionary<string, object>>(frame.Payload, Untrusted, ct);
        Assert.Equal(2, frame.Opcode);
        Assert.Equal(("invokeResponse", "7", true), ((string)map["type"], (string)map["invocationId"], (bool)map["success"]));
        Assert.Equal(dataType.ToString().ToLowerInvariant(), map["dataType"]);
        object expected = dataType == DataType.Binary ? Encoding.UTF8.GetBytes(data) : data;
        Assert.Equal(expected, map["data"]);
        Assert.False(map.ContainsKey("error"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AFailedInvokeResponseReachesAMessagePackCallerWithItsError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, _) = await CallerAsync(services, "m1", ClientProtocol.MessagePackReliable, "7", ct);
        var response = Response("m1", "7", DataType.Json, null);
        (response.ErrorName, response.ErrorMessage) = ("InternalServerError", "The handler failed.");

        Dispatch(services, response, offset: 0);

        var map = MessagePackSerializer.Deserialize<Dictionary<string, object>>((await client.ReadFrameAsync().WaitAsync(ct)).Payload, Untrusted, ct);
        Assert.Equal(("invokeResponse", "7", false), ((string)map["type"], (string)map["invocationId"], (bool)map["success"]));
        var error = (Dictionary<object, object>)map["error"];
        Assert.Equal(("InternalServerError", "The handler failed."), ((string)error["name"], (string)error["message"]));
        Assert.False(map.ContainsKey("data"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AResponseToAnInvocationNoLongerWaitingOrForAnotherConnectorIsDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, connection) = await CallerAsync(services, "c1", ClientProtocol.Json, "1", ct);
        var elsewhere = Response("c1", "1", DataType.Text, "not mine");
        elsewhere.AckConnectorId = "another-connector";

        Dispatch(services, elsewhere, offset: 0);
        Dispatch(services, Response("c1", "2", DataType.Text, "never asked"), offset: 1);
        Dispatch(services, Response("c1", "1", DataType.Text, "first"), offset: 2);
        Dispatch(services, Response("c1", "1", DataType.Text, "again"), offset: 3);

        Assert.Contains("\"data\":\"first\"", await client.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.False(client.HasUnreadFrame());
        Assert.Equal(0, connection.PendingInvocationCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task AResponseWhoseDataDoesNotFitItsTypeFailsTheInvocationInsteadOfReachingTheCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var (client, _) = await CallerAsync(services, "c1", ClientProtocol.Json, "1", ct);

        Dispatch(services, Response("c1", "1", DataType.Json, "{not json"), offset: 0);

        Assert.StartsWith("""{"type":"invokeResponse","invocationId":"1","success":false,"error":{"name":"InternalServerError",""", await client.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task AnInvocationNotAnsweredWithinTheInvokeTimeoutIsAnsweredTimeoutAndItsLateResponseDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = new ConnectorServices(new HostSettings { Connector = { InvokeTimeout = TimeSpan.FromSeconds(3) } });
        services.Get<History.OutboundState>().Start(new long[Partitions]);
        var (client, connection) = await CallerAsync(services, "c1", ClientProtocol.Json, null, ct);
        var deadline = services.Clock.GetTimestamp() + 3 * services.Clock.TimestampFrequency;
        Assert.True(connection.TryAddPendingInvocation("1", deadline, out _));
        var heartbeat = services.Get<ConnectionHeartbeat>();

        services.Clock.Advance(TimeSpan.FromSeconds(2));
        heartbeat.Tick();
        Assert.False(client.HasUnreadFrame());
        services.Clock.Advance(TimeSpan.FromSeconds(1));
        heartbeat.Tick();
        Dispatch(services, Response("c1", "1", DataType.Text, "too late"), offset: 0);

        Assert.StartsWith("""{"type":"invokeResponse","invocationId":"1","success":false,"error":{"name":"Timeout",""", await client.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.False(client.HasUnreadFrame());
    }

    [Fact(Timeout = 30_000)]
    public async Task ACancelledInvocationIsForgottenSoItsResponseIsDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var client = new InMemoryClient();
        var admitted = services.Admit("c1", "alice", []);
        var run = services.Get<ClientConnectionHandler>().RunAsync(admitted, client, client, InMemoryClient.Abort);
        await client.ReadTextAsync().WaitAsync(ct);
        Assert.True(admitted.Connection.TryAddPendingInvocation("5", long.MaxValue, out _));

        await client.SendTextAsync("""{"type":"cancelInvocation","invocationId":"5"}""");
        await client.SendTextAsync("""{"type":"ping"}""");
        Assert.Equal("""{"type":"pong"}""", await client.ReadTextAsync().WaitAsync(ct));
        Dispatch(services, Response("c1", "5", DataType.Text, "after the cancel"), offset: 0);

        Assert.Equal(0, admitted.Connection.PendingInvocationCount);
        Assert.False(client.HasUnreadFrame());
        await client.DisconnectAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5), ct);
    }

    /// <summary>A caller connected and registered here, with the invocation <paramref name="invocationId"/> waiting (none when null).</summary>
    private static async Task<(InMemoryClient Client, ClientConnection Connection)> CallerAsync(ConnectorServices services, string id, ClientProtocol protocol, string? invocationId, CancellationToken ct)
    {
        var client = Member(services, id, protocol, "room");
        await client.ReadFrameAsync().WaitAsync(ct); // connected
        var connection = services.Get<ConnectionIndex>().All.Single(c => c.Id == id);
        if (invocationId is not null)
        {
            Assert.True(connection.TryAddPendingInvocation(invocationId, long.MaxValue, out _));
        }

        return (client, connection);
    }

    /// <summary>An <c>invokeResponse</c> as the functions produce it for a connection of this connector.</summary>
    private static Delivery Response(string connectionId, string invocationId, DataType dataType, string? data) => new()
    {
        Target = DeliveryTarget.Connection,
        Hub = "chat",
        ConnectionId = connectionId,
        MessageId = "r-" + invocationId,
        Command = DeliveryCommand.InvokeResponse,
        HasMessage = false,
        InvocationId = invocationId,
        DataType = dataType,
        Payload = data is null ? null : Encoding.UTF8.GetBytes(data),
    };
}
