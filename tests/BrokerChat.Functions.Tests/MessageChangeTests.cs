using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

/// <summary>The workers' side of message edits and deletes: what is refused, and the group delivery that announces an accepted change.</summary>
public sealed class MessageChangeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly ChatFunction _function = new(new FrameValidator(Options.Create(new FunctionsOptions { MaxMessageBytes = 16 })), new FakeTimeProvider(Now));

    [Fact]
    public void AnAcceptedEditIsAnnouncedToTheGroupWithItsNewDataAndAcknowledgesTheSender()
    {
        var delivery = Assert.Single(_function.Handle(Edit(), new InboundPosition(2, 9)));

        Assert.Equal((DeliveryTarget.Group, "chat", "room", "2-9"), (delivery.Target, delivery.Hub, delivery.Group, delivery.MessageId));
        Assert.Equal((DeliveryCommand.MessageChanged, false, "0-5", MessageChange.Edited), (delivery.Command, delivery.HasMessage, delivery.ChangedMessageId, delivery.Change));
        Assert.Equal((DataType.Text, "fixed"), (delivery.DataType, Encoding.UTF8.GetString(delivery.Payload!)));
        Assert.Equal("alice", delivery.FromUserId);
        Assert.Equal((true, 7UL, "conn-1", "connector-1"), (delivery.Ack!.Success, delivery.Ack.AckId, delivery.Ack.ConnectionId, delivery.AckConnectorId));
        Assert.Equal(Now.ToUnixTimeMilliseconds(), delivery.ProducedAt);
    }

    [Fact]
    public void AnAcceptedDeleteCarriesNoData()
    {
        var frame = Edit();
        frame.Kind = InboundKind.DeleteMessage;
        frame.Payload = [];

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(2, 10)));

        Assert.Equal((DeliveryCommand.MessageChanged, MessageChange.Deleted, "0-5"), (delivery.Command, delivery.Change, delivery.ChangedMessageId));
        Assert.Null(delivery.Payload);
    }

    [Theory]
    [InlineData(null, "BadRequest")]
    [InlineData("", "BadRequest")]
    public void AChangeWithoutAMessageIdIsABadRequest(string? messageId, string expected) =>
        Assert.Equal(expected, RejectionOf(f => f.ChangedMessageId = messageId));

    [Fact]
    public void AChangeIsRefusedForALongMessageIdAnInvalidGroupTooMuchDataOrDataThatDoesNotFitItsType()
    {
        Assert.Equal(AckErrorNames.BadRequest, RejectionOf(f => f.ChangedMessageId = new string('1', 257)));
        Assert.Null(RejectionOf(f => f.ChangedMessageId = new string('1', 256)));
        Assert.Equal(AckErrorNames.BadRequest, RejectionOf(f => f.Group = " "));
        Assert.Equal(AckErrorNames.BadRequest, RejectionOf(f => f.Payload = new byte[17]));
        Assert.Equal(AckErrorNames.BadRequest, RejectionOf(f => f.Payload = [0xFF]));
        Assert.Equal(AckErrorNames.BadRequest, RejectionOf(f => { f.DataType = DataType.Json; f.Payload = "{"u8.ToArray(); }));
    }

    [Fact]
    public void AChangeIsForbiddenWithoutTheSendRoleOrFromAnAnonymousConnection()
    {
        Assert.Equal(AckErrorNames.Forbidden, RejectionOf(f => f.Roles = ["webpubsub.sendToGroup.other"]));
        Assert.Null(RejectionOf(f => f.Roles = ["webpubsub.sendToGroup.room"]));
        Assert.Equal(AckErrorNames.Forbidden, RejectionOf(f => f.UserId = null));
        Assert.Equal(AckErrorNames.Forbidden, RejectionOf(f => { f.Kind = InboundKind.DeleteMessage; f.UserId = ""; }));
    }

    [Fact]
    public void ARefusedChangeIsOnlyAnAckErrorForItsSender()
    {
        var frame = Edit();
        frame.Roles = [];

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(1, 2)));

        Assert.Equal((DeliveryTarget.Connection, DeliveryCommand.None, false), (delivery.Target, delivery.Command, delivery.HasMessage));
        Assert.Equal((false, AckErrorNames.Forbidden), (delivery.Ack!.Success, delivery.Ack.ErrorName));
    }

    [Fact]
    public void TheBackendsChangeNamesNobodyAndCarriesNoAck()
    {
        var frame = Edit();
        frame.Kind = InboundKind.ServerEditMessage;
        frame.UserId = null;
        frame.Roles = [];

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(0, 1)));

        Assert.Equal((DeliveryCommand.MessageChanged, MessageChange.Edited, "fixed"), (delivery.Command, delivery.Change, Encoding.UTF8.GetString(delivery.Payload!)));
        Assert.Null(delivery.FromUserId);
        Assert.Null(delivery.Ack);

        frame.Kind = InboundKind.ServerDeleteMessage;
        Assert.Equal(MessageChange.Deleted, Assert.Single(_function.Handle(frame, new InboundPosition(0, 2))).Change);

        // A malformed one is dropped: the REST caller was answered by the connector already.
        frame.ChangedMessageId = null;
        Assert.Empty(_function.Handle(frame, new InboundPosition(0, 3)));
        frame.Kind = InboundKind.ServerEditMessage;
        frame.ChangedMessageId = "0-5";
        frame.Payload = new byte[17];
        Assert.Empty(_function.Handle(frame, new InboundPosition(0, 4)));
    }

    private string? RejectionOf(Action<InboundFrame> change)
    {
        var frame = Edit();
        change(frame);
        return _function.Check(frame)?.Name;
    }

    private static InboundFrame Edit()
    {
        var frame = ChatFunctionTests.Frame();
        frame.Kind = InboundKind.EditMessage;
        frame.ChangedMessageId = "0-5";
        frame.DataType = DataType.Text;
        frame.Payload = "fixed"u8.ToArray();
        return frame;
    }
}
