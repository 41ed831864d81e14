using System.Buffers;
using System.Buffers.Text;

namespace BrokerChat.Contracts.Serialization;

/// <summary>
/// The text form of a <see cref="Messages.Delivery"/> record: the standard base64 of its MessagePack bytes. It is
/// what the functions produce when hosted by Azure Functions, whose Kafka output binding carries values from a
/// custom handler as UTF-8 text only. Readers tell the forms apart by the first byte: MessagePack records start with
/// an array header (<c>0x90</c>–<c>0x9f</c>, <c>0xdc</c>, <c>0xdd</c>), base64 text with an ASCII letter, digit,
/// <c>+</c> or <c>/</c>.
/// </summary>
public static class DeliveryText
{
    /// <summary>Whether <paramref name="value"/> is in the text form (as opposed to MessagePack).</summary>
    public static bool IsText(ReadOnlySpan<byte> value) =>
        !value.IsEmpty && (char.IsAsciiLetterOrDigit((char)value[0]) || value[0] is (byte)'+' or (byte)'/');

    /// <summary>The MessagePack bytes of a delivery in the text form; throws <see cref="ContractException"/> when it is not base64.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> text)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (Base64.DecodeFromUtf8(text, bytes, out _, out var written) != OperationStatus.Done)
        {
            throw new ContractException("A Delivery record in text form was not valid base64.");
        }

        return written == bytes.Length ? bytes : bytes.AsSpan(0, written).ToArray();
    }
}
