using System.Buffers;
using System.Net.WebSockets;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client.Protocol;

/// <summary>
/// Encodes client → server requests and decodes server → client frames of one subprotocol. The JSON and MessagePack
/// codecs carry the same messages with the same field names; only the encoding differs.
/// </summary>
internal abstract class FrameCodec
{
    /// <summary>Text for JSON, binary for MessagePack.</summary>
    public abstract WebSocketMessageType MessageType { get; }

    /// <summary>The <c>ping</c> request, encoded once.</summary>
    public abstract ReadOnlyMemory<byte> Ping { get; }

    public static string SubprotocolOf(BrokerChatProtocol protocol) => protocol switch
    {
        BrokerChatProtocol.JsonReliable => WebPubSubSubprotocols.JsonReliable,
        BrokerChatProtocol.Json => WebPubSubSubprotocols.Json,
        BrokerChatProtocol.MessagePackReliable => WebPubSubSubprotocols.MessagePackReliable,
        BrokerChatProtocol.MessagePack => WebPubSubSubprotocols.MessagePack,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };

    public static bool IsReliable(BrokerChatProtocol protocol) =>
        protocol is BrokerChatProtocol.JsonReliable or BrokerChatProtocol.MessagePackReliable;

    public static FrameCodec For(BrokerChatProtocol protocol) =>
        protocol is BrokerChatProtocol.Json or BrokerChatProtocol.JsonReliable ? JsonFrameCodec.Instance : MessagePackFrameCodec.Instance;

    public static string DataTypeName(WebPubSubDataType dataType) => dataType switch
    {
        WebPubSubDataType.Json => WebPubSubDataTypes.Json,
        WebPubSubDataType.Text => WebPubSubDataTypes.Text,
        WebPubSubDataType.Binary => WebPubSubDataTypes.Binary,
        WebPubSubDataType.Protobuf => WebPubSubDataTypes.Protobuf,
        _ => throw new ArgumentOutOfRangeException(nameof(dataType), dataType, null),
    };

    /// <summary>
    /// <c>joinGroup</c>, <c>leaveGroup</c> or <c>listMembers</c>; a join may ask for <paramref name="history"/> messages
    /// and presence messages (BrokerChat extensions, which other servers ignore).
    /// </summary>
    public abstract byte[] GroupRequest(string type, string group, ulong? ackId, int? history = null, bool presence = false);

    /// <summary><c>listMessages</c>: a page of the group's stored history, before or after a cursor (BrokerChat).</summary>
    public abstract byte[] ListMessages(string group, int? limit, string? before, string? after, ulong ackId);

    public abstract byte[] SendToGroup(string group, WebPubSubDataType dataType, ReadOnlySpan<byte> data, bool noEcho, ulong? ackId);

    public abstract byte[] Event(string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId);

    /// <summary>
    /// <c>invoke</c> of the user event <paramref name="eventName"/> (<c>target</c> <c>event</c>), which the server
    /// answers with an <c>invokeResponse</c> of the same <paramref name="invocationId"/>.
    /// </summary>
    public abstract byte[] Invoke(string invocationId, string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data);

    /// <summary><c>cancelInvocation</c>: the caller no longer waits for the response to <paramref name="invocationId"/>.</summary>
    public abstract byte[] CancelInvocation(string invocationId);

    public abstract byte[] SequenceAck(ulong sequenceId);

    /// <summary><c>editMessage</c> (BrokerChat): replace the content of the stored message <paramref name="messageId"/> of <paramref name="group"/>.</summary>
    public abstract byte[] EditMessage(string group, string messageId, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId);

    /// <summary><c>deleteMessage</c> (BrokerChat): delete the stored message <paramref name="messageId"/> of <paramref name="group"/>.</summary>
    public abstract byte[] DeleteMessage(string group, string messageId, ulong? ackId);

    /// <summary>
    /// Decodes one WebSocket message. Returns false for a frame that is not well-formed (wrong message type, bad
    /// encoding, wrong field types); unknown fields and unknown <c>type</c>s are not errors.
    /// </summary>
    public abstract bool TryRead(ReadOnlyMemory<byte> message, WebSocketMessageType messageType, out ServerFrame frame);

    protected static byte[] ToArray(ArrayBufferWriter<byte> buffer) => buffer.WrittenSpan.ToArray();
}
