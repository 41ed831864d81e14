using System.Text;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Outbound;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// The fan-out of outbound records to connections held here, over in-memory pipes and with no Kafka: the record is
/// handed to the dispatcher as its consumer loop would, and each client reads what it was sent.
/// </summary>
public sealed partial class FanOutTests
{
    private const int Partitions = 4;

    [Fact]
    public async Task AGroupMessageReachesEveryMemberOnceInItsProtocolAndNobodyElse()
    {
        await using var services = Started();
        var json1 = Member(services, "j1", ClientProtocol.Json, "room");
        var json2 = Member(services, "j2", ClientProtocol.Json, "room");
        var packed = Member(services, "m1", ClientProtocol.MessagePack, "room");
        var outsider = Member(services, "o1", ClientProtocol.Json, "elsewhere");
        foreach (var client in new[] { json1, json2, packed, outsider })
        {
            await client.ReadFrameAsync(); // connected
        }

        Dispatch(services, GroupMessage("m-1", "hello"), offset: 0);

        var first = await json1.ReadFrameAsync();
        var second = await json2.ReadFrameAsync();
        var binary = await packed.ReadFrameAsync();
        Assert.Equal(first.Payload, second.Payload);
        Assert.Contains("\"data\":\"hello\"", first.Text, StringComparison.Ordinal);
        Assert.Equal((1, 2), (first.Opcode, binary.Opcode));
        Assert.Contains("hello"u8.ToArray(), binary.Payload.Skip(binary.Payload.Length - 5).ToArray());
        Assert.False(outsider.HasUnreadFrame());
        Assert.False(json1.HasUnreadFrame());
    }

    [Fact]
    public async Task AMessageIdTheRoomAlreadyHoldsIsNotDeliveredAgain()
    {
        await using var services = Started();
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync();

        Dispatch(services, GroupMessage("m-1", "once"), offset: 0);
        Dispatch(services, GroupMessage("m-1", "once"), offset: 1);
        Dispatch(services, GroupMessage("m-2", "next"), offset: 2);

        Assert.Contains("\"data\":\"once\"", await member.ReadTextAsync(), StringComparison.Ordinal);
        Assert.Contains("\"data\":\"next\"", await member.ReadTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheExcludedConnectionIsLeftOut()
    {
        await using var services = Started();
        var sender = Member(services, "s1", ClientProtocol.Json, "room");
        var other = Member(services, "o1", ClientProtocol.Json, "room");
        await sender.ReadFrameAsync();
        await other.ReadFrameAsync();
        var message = GroupMessage("m-1", "no echo");
        message.ExcludedConnectionId = "s1";

        Dispatch(services, message, offset: 0);

        Assert.Contains("no echo", await other.ReadTextAsync(), StringComparison.Ordinal);
        Assert.False(sender.HasUnreadFrame());
    }

    [Fact]
    public async Task TheAckADeliveryCarriesAnswersTheSendersWaitingRequest()
    {
        await using var services = Started();
        var sender = Member(services, "s1", ClientProtocol.Json, "room");
        await sender.ReadFrameAsync();
        var connection = services.Get<ConnectionIndex>().GroupMembers("chat", "room").Single();
        Assert.True(connection.TryAddPendingAck(7, long.MaxValue, out _));
        var message = GroupMessage("m-1", "acked");
        message.Ack = new AckOutcome { ConnectionId = "s1", AckId = 7, Success = true };
        message.AckConnectorId = services.Get<ConnectorIdentity>().Id;

        Dispatch(services, message, offset: 0);

        Assert.Contains("acked", await sender.ReadTextAsync(), StringComparison.Ordinal);
        Assert.Equal("""{"type":"ack","ackId":7,"success":true}""", await sender.ReadTextAsync());
        Assert.True(connection.HasSucceeded(7));
        Assert.Equal(0, connection.PendingAckCount);
    }

    [Fact]
    public async Task AReliableMemberGetsTheMessageNumberedInItsSessionWithNoFreshTokenBeforeIt()
    {
        await using var services = Started();
        var member = Member(services, "r1", ClientProtocol.JsonReliable, "room");
        Assert.Contains("\"reconnectionToken\"", await member.ReadTextAsync(), StringComparison.Ordinal);

        Dispatch(services, GroupMessage("m-1", "numbered"), offset: 0);

        // The token it connected with names the room's partition as the one a resume replays first: it still resumes
        // the session exactly, so no other comes before the message.
        var message = await member.ReadTextAsync();
        Assert.Contains("numbered", message, StringComparison.Ordinal);
        Assert.StartsWith("{\"sequenceId\":1,", message, StringComparison.Ordinal);
    }

    private static ConnectorServices Started()
    {
        var services = new ConnectorServices();
        services.Get<OutboundState>().Start(new long[Partitions]);
        return services;
    }

    private static InMemoryClient Member(ConnectorServices services, string id, ClientProtocol protocol, string group)
    {
        var client = new InMemoryClient();
        var connection = services.Admit(id, "user-" + id, [], protocol).Connection;
        connection.Attach(client.Output, client, InMemoryClient.Abort);
        services.Get<GroupMembership>().Register(connection, [group]);
        return client;
    }

    private static Delivery GroupMessage(string messageId, string text) => new()
    {
        Target = DeliveryTarget.Group,
        Hub = "chat",
        Group = "room",
        MessageId = messageId,
        DataType = DataType.Text,
        Payload = Encoding.UTF8.GetBytes(text),
        FromUserId = "sender",
    };

    private static void Dispatch(ConnectorServices services, Delivery delivery, long offset)
    {
        var partition = services.Get<OutboundState>().PartitionOf("chat", "room");
        services.Get<DeliveryDispatcher>().Dispatch(ContractSerializer.Serialize(delivery), partition, offset);
    }
}
