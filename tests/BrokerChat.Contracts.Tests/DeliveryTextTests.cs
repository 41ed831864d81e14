using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;

namespace BrokerChat.Contracts.Tests;

public sealed class DeliveryTextTests
{
    [Fact]
    public void DeliveryReadsTheSameFromItsMessagePackBytesAndFromTheirBase64Text()
    {
        var bytes = ContractSerializer.Serialize(new Delivery { Hub = "chat", Group = "room", MessageId = "1-2", Payload = [0xff, 0x00] });

        var fromBytes = ContractSerializer.DeserializeDelivery(bytes);
        var fromText = ContractSerializer.DeserializeDelivery(Encoding.ASCII.GetBytes(Convert.ToBase64String(bytes)));

        Assert.False(DeliveryText.IsText(bytes));
        Assert.Equal(ContractSerializer.Serialize(fromBytes), ContractSerializer.Serialize(fromText));
        Assert.Equal(("room", "1-2"), (fromText.Group, fromText.MessageId));
        Assert.Equal(new byte[] { 0xff, 0x00 }, fromText.Payload);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("QUJD=")]
    [InlineData("QUJD")]
    public void TextThatIsNotADeliveryFailsAsAContractError(string text)
    {
        Assert.Throws<ContractException>(() => ContractSerializer.DeserializeDelivery(Encoding.ASCII.GetBytes(text)));
    }
}
