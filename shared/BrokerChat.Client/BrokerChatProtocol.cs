namespace BrokerChat.Client;

/// <summary>The WebSocket subprotocol a <see cref="BrokerChatClient"/> offers; it offers exactly one.</summary>
public enum BrokerChatProtocol
{
    /// <summary><c>json.reliable.webpubsub.azure.v1</c>: JSON text frames, sequence ids, recovery after a drop.</summary>
    JsonReliable,

    /// <summary><c>json.webpubsub.azure.v1</c>: JSON text frames; a drop always means a fresh connection.</summary>
    Json,

    /// <summary>
    /// <c>msgpack.reliable.webpubsub.brokerchat.v1</c>: BrokerChat's binary form of the reliable JSON protocol, one
    /// MessagePack map with the JSON field names per binary frame.
    /// </summary>
    MessagePackReliable,

    /// <summary><c>msgpack.webpubsub.brokerchat.v1</c>: the MessagePack form of <see cref="Json"/>.</summary>
    MessagePack,
}
