using System.Text;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>What an event handler's answers become once the workers turn them into deliveries: state, replies, closes.</summary>
public sealed partial class FanOutTests
{
    [Fact(Timeout = 10_000)]
    public async Task ASetConnectionStateDeliveryReplacesTheStateOfTheConnectionHeldHereAndNilClearsIt()
    {
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested(); // the client's reads wait on it too
        await using var services = Started();
        var client = Member(services, "c1", ClientProtocol.Json, "room");
        await client.ReadFrameAsync(); // connected
        var connection = Held(services, "c1");
        connection.ConnectionState = "eyJvbGQiOjF9";

        Dispatch(services, State("c1", "eyJuZXciOjJ9"), offset: 0);
        var replaced = connection.ConnectionState;
        Dispatch(services, State("c1", null), offset: 1);

        Assert.Equal("eyJuZXciOjJ9", replaced);
        Assert.Null(connection.ConnectionState);
        Assert.False(client.HasUnreadFrame()); // a command, not a message
    }

    [Fact(Timeout = 10_000)]
    public async Task AnOversizedConnectionStateIsIgnoredAndTheConnectionKeepsItsState()
    {
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested(); // the client's reads wait on it too
        await using var services = Started();
        var client = Member(services, "c1", ClientProtocol.Json, "room");
        await client.ReadFrameAsync();
        var connection = Held(services, "c1");
        connection.ConnectionState = "kept";

        Dispatch(services, State("c1", new string('a', WebPubSubCloudEvents.MaxConnectionStateLength + 1)), offset: 0);
        Dispatch(services, State("c1", new string('b', WebPubSubCloudEvents.MaxConnectionStateLength)), offset: 1);

        Assert.Equal(new string('b', WebPubSubCloudEvents.MaxConnectionStateLength), connection.ConnectionState);
        Dispatch(services, State("c1", new string('c', WebPubSubCloudEvents.MaxConnectionStateLength * 2)), offset: 2);
        Assert.Equal(new string('b', WebPubSubCloudEvents.MaxConnectionStateLength), connection.ConnectionState);
    }

    [Fact(Timeout = 10_000)]
    public async Task AReplyToASimpleClientIsWrittenAsARawFrameOfItsDataType()
    {
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested(); // the client's reads wait on it too
        await using var services = Started();
        var simple = Member(services, "s1", ClientProtocol.Simple, "room");

        Dispatch(services, ToConnection("s1", "r-1", DataType.Text, "hello back"u8.ToArray()), offset: 0);
        Dispatch(services, ToConnection("s1", "r-2", DataType.Binary, [1, 2, 3]), offset: 1);
        Dispatch(services, ToConnection("s1", "r-3", DataType.Json, "{\"a\":1}"u8.ToArray()), offset: 2);

        var text = await simple.ReadFrameAsync();
        var binary = await simple.ReadFrameAsync();
        var json = await simple.ReadFrameAsync();
        Assert.Equal((1, "hello back"), (text.Opcode, text.Text));
        Assert.Equal(2, binary.Opcode);
        Assert.Equal([1, 2, 3], binary.Payload);
        Assert.Equal((1, "{\"a\":1}"), (json.Opcode, json.Text));
    }

    [Fact(Timeout = 10_000)]
    public async Task ACloseCommandClosesASimpleClientWithItsReason()
    {
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested(); // the client's reads wait on it too
        await using var services = Started();
        var simple = Member(services, "s1", ClientProtocol.Simple, "room");

        Dispatch(services, new Delivery { Target = DeliveryTarget.Connection, Hub = "chat", ConnectionId = "s1", HasMessage = false, Command = DeliveryCommand.Close, Reason = "The event handler failed." }, offset: 0);

        var close = await simple.ReadFrameAsync();
        Assert.Equal(8, close.Opcode);
        Assert.Contains("The event handler failed.", Encoding.UTF8.GetString(close.Payload), StringComparison.Ordinal);
    }

    private static ClientConnection Held(ConnectorServices services, string id) =>
        services.Get<ConnectionIndex>().TryGet(id, out var connection) ? connection : throw new InvalidOperationException($"{id} is not held here.");

    private static Delivery State(string connectionId, string? state) => new()
    {
        Target = DeliveryTarget.Connection, Hub = "chat", ConnectionId = connectionId, HasMessage = false,
        Command = DeliveryCommand.SetConnectionState, ConnectionState = state,
    };

    private static Delivery ToConnection(string connectionId, string messageId, DataType dataType, byte[] payload) => new()
    {
        Target = DeliveryTarget.Connection, Hub = "chat", ConnectionId = connectionId, MessageId = messageId, DataType = dataType, Payload = payload,
    };
}
