using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Connector.Frames;

/// <summary>How a connection's frames are encoded.</summary>
internal enum ProtocolEncoding
{
    /// <summary>A simple WebSocket client: raw payloads, no protocol frames.</summary>
    Raw,

    /// <summary>One JSON object per text frame (<c>json.*.webpubsub.azure.v1</c>).</summary>
    Json,

    /// <summary>One MessagePack map per binary frame, with the JSON protocol's field names (<c>msgpack.*.webpubsub.brokerchat.v1</c>).</summary>
    MessagePack,
}

/// <summary>
/// A client subprotocol: its name, its encoding and whether it is reliable (sequence ids, <c>sequenceAck</c>,
/// recovery of a dropped connection). The instances are shared; a connection points at one.
/// </summary>
internal sealed class ClientProtocol
{
    /// <summary><see cref="WebPubSubSubprotocols.Json"/> (<c>json.webpubsub.azure.v1</c>).</summary>
    public static readonly ClientProtocol Json = new(WebPubSubSubprotocols.Json, ProtocolEncoding.Json, reliable: false);

    /// <summary><see cref="WebPubSubSubprotocols.JsonReliable"/> (<c>json.reliable.webpubsub.azure.v1</c>), the default of the Web PubSub client SDKs.</summary>
    public static readonly ClientProtocol JsonReliable = new(WebPubSubSubprotocols.JsonReliable, ProtocolEncoding.Json, reliable: true);

    /// <summary><see cref="WebPubSubSubprotocols.MessagePack"/> (<c>msgpack.webpubsub.brokerchat.v1</c>): the JSON protocol's messages as MessagePack maps in binary frames.</summary>
    public static readonly ClientProtocol MessagePack = new(WebPubSubSubprotocols.MessagePack, ProtocolEncoding.MessagePack, reliable: false);

    /// <summary><see cref="WebPubSubSubprotocols.MessagePackReliable"/> (<c>msgpack.reliable.webpubsub.brokerchat.v1</c>): the reliable JSON protocol's messages as MessagePack maps.</summary>
    public static readonly ClientProtocol MessagePackReliable = new(WebPubSubSubprotocols.MessagePackReliable, ProtocolEncoding.MessagePack, reliable: true);

    /// <summary>A simple WebSocket client (whatever subprotocol it offered, which is echoed).</summary>
    public static readonly ClientProtocol Simple = new(null, ProtocolEncoding.Raw, reliable: false);

    /// <summary>The PubSub subprotocols, in the order they are preferred when a client offers several.</summary>
    public static readonly IReadOnlyList<ClientProtocol> PubSub = [JsonReliable, Json, MessagePackReliable, MessagePack];

    private ClientProtocol(string? name, ProtocolEncoding encoding, bool reliable)
    {
        Name = name;
        Encoding = encoding;
        IsReliable = reliable;
        Writer = encoding switch
        {
            ProtocolEncoding.Json => JsonFrameWriter.Instance,
            ProtocolEncoding.MessagePack => MessagePackFrameWriter.Instance,
            _ => null,
        };
    }

    /// <summary>The subprotocol name, or null for simple clients.</summary>
    public string? Name { get; }

    public ProtocolEncoding Encoding { get; }

    public bool IsReliable { get; }

    public bool IsSimple => Encoding == ProtocolEncoding.Raw;

    /// <summary>Writes this protocol's frames; null for simple clients, which get no protocol frames.</summary>
    public FrameWriter? Writer { get; }

    /// <summary>The PubSub subprotocol with this name (case-insensitive), or null.</summary>
    public static ClientProtocol? Find(string name) =>
        PubSub.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The subprotocol for a handshake: the first PubSub subprotocol offered; a simple client when none is (its first
    /// offer, if any, is echoed). <paramref name="unsupported"/> is set, and null returned, when the client offers a
    /// Web PubSub subprotocol this server does not speak (protobuf), so it is refused rather than mistaken for a
    /// simple client.
    /// </summary>
    public static ClientProtocol? Choose(IReadOnlyList<string> offered, out string? unsupported)
    {
        unsupported = null;
        foreach (var name in offered)
        {
            if (Find(name) is { } known)
            {
                return known;
            }
        }

        unsupported = offered.FirstOrDefault(p => p.EndsWith(WebPubSubSubprotocols.AzureSuffix, StringComparison.OrdinalIgnoreCase)
            || p.EndsWith(WebPubSubSubprotocols.BrokerChatSuffix, StringComparison.OrdinalIgnoreCase));
        return unsupported is null ? Simple : null;
    }
}
