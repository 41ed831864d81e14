namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>dataType</c> field (<see cref="WebPubSubFields.DataType"/>): how a message's <c>data</c> is to
/// be read. A request without a <c>dataType</c> is <see cref="Json"/>.
/// </summary>
public static class WebPubSubDataTypes
{
    /// <summary><c>json</c>: JSON text; a JSON value in the JSON subprotocols, a str holding the text in the MessagePack ones.</summary>
    public const string Json = "json";

    /// <summary><see cref="Json"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> JsonUtf8 => "json"u8;

    /// <summary><c>text</c>: UTF-8 text; a JSON string or a MessagePack str.</summary>
    public const string Text = "text";

    /// <summary><see cref="Text"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> TextUtf8 => "text"u8;

    /// <summary><c>binary</c>: bytes; base64 in the JSON subprotocols, a bin in the MessagePack ones.</summary>
    public const string Binary = "binary";

    /// <summary><see cref="Binary"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> BinaryUtf8 => "binary"u8;

    /// <summary><c>protobuf</c>: the bytes of a <c>google.protobuf.Any</c> from a protobuf client, carried like <see cref="Binary"/>.</summary>
    public const string Protobuf = "protobuf";

    /// <summary><see cref="Protobuf"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ProtobufUtf8 => "protobuf"u8;
}
