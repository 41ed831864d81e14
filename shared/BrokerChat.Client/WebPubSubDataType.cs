namespace BrokerChat.Client;

/// <summary>How the <c>data</c> of a message is to be read (the <c>dataType</c> field).</summary>
public enum WebPubSubDataType
{
    /// <summary>UTF-8 JSON text; embedded as JSON in the JSON protocols, a MessagePack str in the MessagePack ones.</summary>
    Json,

    /// <summary>UTF-8 text; a JSON string or a MessagePack str.</summary>
    Text,

    /// <summary>Bytes; base64 in the JSON protocols, a MessagePack bin in the MessagePack ones.</summary>
    Binary,

    /// <summary>The bytes of a <c>google.protobuf.Any</c>, carried like <see cref="Binary"/> (sent by protobuf clients).</summary>
    Protobuf,
}
