using System.Buffers;
using BrokerChat.Contracts.Messages;
using MessagePack;

namespace BrokerChat.Contracts.Serialization;

/// <summary>
/// Encodes and decodes the Kafka contracts. Reading always uses <see cref="MessagePackSecurity.UntrustedData"/>:
/// a record on a topic is input like any other, and a hostile or corrupt one must fail cleanly rather than
/// exhaust the stack or the heap.
/// </summary>
public static class ContractSerializer
{
    /// <summary>The options every contract is written and read with.</summary>
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(16))
        .WithCompression(MessagePackCompression.None);

    /// <summary>Writes an inbound frame.</summary>
    public static byte[] Serialize(InboundFrame frame) => MessagePackSerializer.Serialize(frame, Options);

    /// <summary>Writes a delivery.</summary>
    public static byte[] Serialize(Delivery delivery) => MessagePackSerializer.Serialize(delivery, Options);

    /// <summary>Writes an inbound frame into a buffer writer (for pooled producers).</summary>
    public static void Serialize(IBufferWriter<byte> writer, InboundFrame frame) => MessagePackSerializer.Serialize(writer, frame, Options);

    /// <summary>Reads an inbound frame; throws <see cref="ContractException"/> when the bytes are not one.</summary>
    public static InboundFrame DeserializeInbound(ReadOnlyMemory<byte> bytes) => Deserialize<InboundFrame>(bytes);

    /// <summary>
    /// Reads a delivery, from its MessagePack bytes or from their base64 text (<see cref="DeliveryText"/>); throws
    /// <see cref="ContractException"/> when the bytes are not one.
    /// </summary>
    public static Delivery DeserializeDelivery(ReadOnlyMemory<byte> bytes) =>
        Deserialize<Delivery>(DeliveryText.IsText(bytes.Span) ? DeliveryText.Decode(bytes.Span) : bytes);

    private static T Deserialize<T>(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var value = MessagePackSerializer.Deserialize<T>(bytes, Options, out var read);
            if (value is null)
            {
                throw new ContractException($"A {typeof(T).Name} record was nil.");
            }

            if (read != bytes.Length)
            {
                throw new ContractException($"A {typeof(T).Name} record had {bytes.Length - read} trailing bytes.");
            }

            return value;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new ContractException($"Bytes were not a valid {typeof(T).Name} record: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }
}
