namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The WebSocket subprotocols (<c>Sec-WebSocket-Protocol</c>) of the Web PubSub client protocol that BrokerChat speaks.
/// The reliable ones add sequence ids, <c>sequenceAck</c> and recovery of a dropped connection. The MessagePack ones are
/// BrokerChat's own: the JSON protocol's messages as MessagePack maps with the same field names, in binary frames.
/// </summary>
public static class WebPubSubSubprotocols
{
    /// <summary><c>json.webpubsub.azure.v1</c>: one JSON object per text frame.</summary>
    public const string Json = "json.webpubsub.azure.v1";

    /// <summary><c>json.reliable.webpubsub.azure.v1</c>: <see cref="Json"/> with sequence ids and recovery; the Web PubSub SDKs' default.</summary>
    public const string JsonReliable = "json.reliable.webpubsub.azure.v1";

    /// <summary><c>msgpack.webpubsub.brokerchat.v1</c>: the messages of <see cref="Json"/> as MessagePack maps in binary frames.</summary>
    public const string MessagePack = "msgpack.webpubsub.brokerchat.v1";

    /// <summary><c>msgpack.reliable.webpubsub.brokerchat.v1</c>: the messages of <see cref="JsonReliable"/> as MessagePack maps.</summary>
    public const string MessagePackReliable = "msgpack.reliable.webpubsub.brokerchat.v1";

    /// <summary>
    /// How every Azure Web PubSub subprotocol name ends (<c>.webpubsub.azure.v1</c>), including ones BrokerChat does not
    /// speak (<c>protobuf.webpubsub.azure.v1</c>), so that such an offer is refused rather than taken for a simple client.
    /// </summary>
    public const string AzureSuffix = ".webpubsub.azure.v1";

    /// <summary>How every BrokerChat subprotocol name ends (<c>.webpubsub.brokerchat.v1</c>).</summary>
    public const string BrokerChatSuffix = ".webpubsub.brokerchat.v1";
}
