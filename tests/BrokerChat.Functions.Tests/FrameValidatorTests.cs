using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Tests;

public sealed class FrameValidatorTests
{
    private readonly FrameValidator _validator = new(Options.Create(new FunctionsOptions { MaxMessageBytes = 16 }));

    [Fact]
    public void AcceptsAValidMessage() => Assert.Null(_validator.Validate(ChatFunctionTests.Frame()));

    [Fact]
    public void RejectsAPayloadOverTheLimitNamingBothSizes()
    {
        var frame = With(f => { f.DataType = DataType.Binary; f.Payload = new byte[17]; });
        var rejection = _validator.Validate(frame)!.Value;
        Assert.Equal(AckErrorNames.BadRequest, rejection.Name);
        Assert.Contains("17", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("16", rejection.Message, StringComparison.Ordinal);
        Assert.Null(_validator.Validate(With(f => { f.DataType = DataType.Binary; f.Payload = new byte[16]; })));
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("1 2")]
    [InlineData("")]
    [InlineData("{'a':1}")]
    public void RejectsJsonDataThatIsNotOneJsonValue(string payload) =>
        Assert.Equal(AckErrorNames.BadRequest, _validator.Validate(With(f => f.Payload = Encoding.UTF8.GetBytes(payload)))!.Value.Name);

    [Theory]
    [InlineData("1")]
    [InlineData(" \"s\" ")]
    [InlineData("null")]
    [InlineData("[1,{}]")]
    public void AcceptsAnySingleJsonValue(string payload) =>
        Assert.Null(_validator.Validate(With(f => f.Payload = Encoding.UTF8.GetBytes(payload))));

    [Fact]
    public void RejectsTextThatIsNotUtf8() =>
        Assert.NotNull(_validator.Validate(With(f => { f.DataType = DataType.Text; f.Payload = [0xff, 0xfe]; })));

    [Fact]
    public void RejectsUnknownDataTypesAndKinds()
    {
        Assert.NotNull(_validator.Validate(With(f => f.DataType = (DataType)9)));
        Assert.NotNull(_validator.Validate(With(f => f.Kind = (InboundKind)9)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void RejectsInvalidGroupNames(string? group) =>
        Assert.Equal(AckErrorNames.BadRequest, _validator.Validate(With(f => f.Group = group))!.Value.Name);

    [Fact]
    public void RejectsASenderWithoutTheRoleAsForbidden()
    {
        var rejection = _validator.Validate(With(f => f.Roles = ["webpubsub.sendToGroup.other"]))!.Value;
        Assert.Equal(AckErrorNames.Forbidden, rejection.Name);
        Assert.Null(_validator.Validate(With(f => f.Roles = ["webpubsub.sendToGroup.room"])));
    }

    [Fact]
    public void RejectsInvalidHubsAndEventNames()
    {
        Assert.NotNull(_validator.Validate(With(f => f.Hub = "1x")));
        Assert.NotNull(_validator.Validate(With(f => { f.Kind = InboundKind.Event; f.EventName = "bad name"; })));
        Assert.Null(_validator.Validate(With(f => { f.Kind = InboundKind.Event; f.EventName = "typing"; })));
    }

    private static InboundFrame With(Action<InboundFrame> change)
    {
        var frame = ChatFunctionTests.Frame();
        change(frame);
        return frame;
    }
}
