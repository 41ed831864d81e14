using System.Buffers;
using System.Net.WebSockets;
using BrokerChat.Contracts.WebPubSub;
using MessagePack;

namespace BrokerChat.Client.Protocol;

/// <summary>
/// <c>msgpack.webpubsub.brokerchat.v1</c> and <c>msgpack.reliable.webpubsub.brokerchat.v1</c>: the JSON protocol's
/// messages, one per binary WebSocket message, each a MessagePack <b>map with str keys</b> named exactly as the JSON
/// fields (<c>type</c>, <c>ackId</c>, <c>group</c>, <c>dataType</c>, <c>data</c>, <c>noEcho</c>, <c>event</c>,
/// <c>sequenceId</c>, <c>success</c>, <c>error</c> = map of <c>name</c>/<c>message</c>, <c>from</c>,
/// <c>fromUserId</c>, <c>connectionId</c>, <c>userId</c>, <c>reconnectionToken</c>, <c>message</c>,
/// <c>invocationId</c>, <c>target</c>).
/// <list type="bullet">
/// <item><c>ackId</c> and <c>sequenceId</c> are MessagePack integers (unsigned 64-bit values, written in the
/// smallest encoding); <c>noEcho</c> and <c>success</c> are booleans; every other scalar is a str (or nil where
/// the JSON form allows null). <c>invocationId</c> is a str, as in JSON, on <c>invoke</c>, <c>cancelInvocation</c>
/// and <c>invokeResponse</c>.</item>
/// <item><c>data</c> is a bin for <c>binary</c> and <c>protobuf</c>, a str for <c>text</c>, and a str holding the
/// JSON text for <c>json</c>. A reader also accepts a bin for text and JSON.</item>
/// <item>Readers ignore keys they do not know and do not depend on key order; frames whose <c>type</c> they do
/// not know are ignored. Nesting is limited by <see cref="MessagePackSecurity.UntrustedData"/>.</item>
/// </list>
/// </summary>
internal sealed partial class MessagePackFrameCodec : FrameCodec
{
    public static readonly MessagePackFrameCodec Instance = new();

    private static readonly MessagePackSecurity s_security = MessagePackSecurity.UntrustedData;

    private readonly ReadOnlyMemory<byte> _ping;

    private MessagePackFrameCodec()
    {
        _ping = Write(1, (ref MessagePackWriter w) => WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.Ping));
    }

    private delegate void Body(ref MessagePackWriter writer);

    public override WebSocketMessageType MessageType => WebSocketMessageType.Binary;

    public override ReadOnlyMemory<byte> Ping => _ping;

    public override byte[] GroupRequest(string type, string group, ulong? ackId, int? history = null, bool presence = false) =>
        Write(2 + (ackId is null ? 0 : 1) + (history is null ? 0 : 1) + (presence ? 1 : 0), (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, type);
            WriteString(ref w, WebPubSubFields.Group, group);
            WriteAckId(ref w, ackId);
            if (history is { } count)
            {
                w.Write(WebPubSubFields.History);
                w.Write(count);
            }

            if (presence)
            {
                w.Write(WebPubSubFields.Presence);
                w.Write(true);
            }
        });

    public override byte[] SendToGroup(string group, WebPubSubDataType dataType, ReadOnlySpan<byte> data, bool noEcho, ulong? ackId) =>
        WriteWithData(ackId is null ? 5 : 6, dataType, data, (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.SendToGroup);
            WriteString(ref w, WebPubSubFields.Group, group);
            WriteAckId(ref w, ackId);
        }, (ref MessagePackWriter w) =>
        {
            w.Write(WebPubSubFields.NoEcho);
            w.Write(noEcho);
        });

    public override byte[] Event(string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId) =>
        WriteWithData(ackId is null ? 4 : 5, dataType, data, (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.Event);
            WriteString(ref w, WebPubSubFields.Event, eventName);
            WriteAckId(ref w, ackId);
        });

    /// <summary>Azure has no MessagePack <c>invoke</c>; this is the JSON one as a map, <c>invocationId</c>, <c>target</c> and <c>event</c> being strs.</summary>
    public override byte[] Invoke(string invocationId, string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data) =>
        WriteWithData(6, dataType, data, (ref MessagePackWriter w) =>
        {
            WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.Invoke);
            WriteString(ref w, WebPubSubFields.InvocationId, invocationId);
            WriteString(ref w, WebPubSubFields.Target, WebPubSubInvokeTargets.Event);
            WriteString(ref w, WebPubSubFields.Event, eventName);
        });

    public override byte[] CancelInvocation(string invocationId) => Write(2, (ref MessagePackWriter w) =>
    {
        WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.CancelInvocation);
        WriteString(ref w, WebPubSubFields.InvocationId, invocationId);
    });

    public override byte[] SequenceAck(ulong sequenceId) => Write(2, (ref MessagePackWriter w) =>
    {
        WriteString(ref w, WebPubSubFields.Type, WebPubSubMessageTypes.SequenceAck);
        w.Write(WebPubSubFields.SequenceId);
        w.Write(sequenceId);
    });

    public override bool TryRead(ReadOnlyMemory<byte> message, WebSocketMessageType messageType, out ServerFrame frame)
    {
        frame = new ServerFrame();
        if (messageType != WebSocketMessageType.Binary)
        {
            return false;
        }

        try
        {
            var reader = new MessagePackReader(message);
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                return false;
            }

            string? type = null, systemEvent = null, dataType = null;
            ReadOnlyMemory<byte>? data = null;
            var count = reader.ReadMapHeader();
            s_security.DepthStep(ref reader);
            for (var i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    Skip(ref reader);
                    Skip(ref reader);
                    continue;
                }

                switch (reader.ReadString())
                {
                    case WebPubSubFields.Type: type = ReadString(ref reader); break;
                    case WebPubSubFields.Event: systemEvent = ReadString(ref reader); break;
                    case WebPubSubFields.AckId: frame.AckId = ReadUInt64(ref reader); break;
                    case WebPubSubFields.InvocationId: frame.InvocationId = ReadString(ref reader); break;
                    case WebPubSubFields.Success: frame.Success = !reader.TryReadNil() && reader.ReadBoolean(); break;
                    case WebPubSubFields.Error: ReadError(ref reader, frame); break;
                    case WebPubSubFields.From: frame.From = ReadString(ref reader); break;
                    case WebPubSubFields.Group: frame.Group = ReadString(ref reader); break;
                    case WebPubSubFields.FromUserId: frame.FromUserId = ReadString(ref reader); break;
                    case WebPubSubFields.DataType: dataType = ReadString(ref reader); break;
                    case WebPubSubFields.Data: data = ReadData(ref reader); break;
                    case WebPubSubFields.SequenceId: frame.SequenceId = ReadUInt64(ref reader); break;
                    case WebPubSubFields.ConnectionId: frame.ConnectionId = ReadString(ref reader); break;
                    case WebPubSubFields.UserId: frame.UserId = ReadString(ref reader); break;
                    case WebPubSubFields.ReconnectionToken: frame.ReconnectionToken = ReadString(ref reader); break;
                    case WebPubSubFields.Message: frame.Message = ReadString(ref reader); break;
                    case WebPubSubFields.History: frame.History = ReadBoolean(ref reader); break;
                    case WebPubSubFields.Action: frame.Action = ReadString(ref reader); break;
                    case WebPubSubFields.Complete: frame.Complete = ReadBoolean(ref reader); break;
                    case WebPubSubFields.Members: frame.Members = ReadMembers(ref reader); break;
                    case WebPubSubFields.Messages: frame.StoredMessages = ReadStoredMessages(ref reader); break;
                    case WebPubSubFields.Next: frame.Next = ReadString(ref reader); break;
                    case WebPubSubFields.MessageId: frame.MessageId = ReadString(ref reader); break;
                    case WebPubSubFields.Change: frame.Change = ReadString(ref reader); break;
                    default: Skip(ref reader); break;
                }
            }

            reader.Depth--;
            frame.Kind = ServerFrame.KindOf(type, systemEvent);
            frame.DataType = ServerFrame.ParseDataType(dataType);
            frame.Data = data ?? ReadOnlyMemory<byte>.Empty;
            return frame.Kind switch
            {
                ServerFrameKind.Ack => frame.AckId is not null,
                ServerFrameKind.InvokeResponse => frame.InvocationId is not null,
                ServerFrameKind.Connected => frame.ConnectionId is not null,
                _ => frame.IsWellFormedSystem,
            };
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InsufficientExecutionStackException or OverflowException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void ReadError(ref MessagePackReader reader, ServerFrame frame)
    {
        if (reader.TryReadNil())
        {
            return;
        }

        var count = reader.ReadMapHeader();
        s_security.DepthStep(ref reader);
        for (var i = 0; i < count; i++)
        {
            var key = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
            if (key is null)
            {
                Skip(ref reader);
            }

            switch (key)
            {
                case WebPubSubFields.Name: frame.ErrorName = ReadString(ref reader); break;
                case WebPubSubFields.Message: frame.ErrorMessage = ReadString(ref reader); break;
                default: Skip(ref reader); break;
            }
        }

        reader.Depth--;
    }

    /// <summary>A members list: an array of maps with <c>userId</c> and <c>connectionId</c>; entries without a connection id are skipped.</summary>
    private static List<BrokerChatMember>? ReadMembers(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            Skip(ref reader);
            return null;
        }

        var count = reader.ReadArrayHeader();
        s_security.DepthStep(ref reader);
        var members = new List<BrokerChatMember>();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                Skip(ref reader);
                continue;
            }

            string? userId = null, connectionId = null;
            var fields = reader.ReadMapHeader();
            s_security.DepthStep(ref reader);
            for (var f = 0; f < fields; f++)
            {
                switch (reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null)
                {
                    case WebPubSubFields.UserId: userId = ReadString(ref reader); break;
                    case WebPubSubFields.ConnectionId: connectionId = ReadString(ref reader); break;
                    case null: Skip(ref reader); Skip(ref reader); break;
                    default: Skip(ref reader); break;
                }
            }

            reader.Depth--;
            if (connectionId is not null)
            {
                members.Add(new BrokerChatMember(userId, connectionId));
            }
        }

        reader.Depth--;
        return members;
    }

    private static bool ReadBoolean(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.Boolean)
        {
            return reader.ReadBoolean();
        }

        Skip(ref reader);
        return false;
    }

    private static ReadOnlyMemory<byte>? ReadData(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Binary:
                return reader.ReadBytes()?.ToArray();
            case MessagePackType.String:
                return reader.ReadStringSequence()?.ToArray();
            default:
                Skip(ref reader);
                return null;
        }
    }

    private static string? ReadString(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
        {
            return reader.ReadString();
        }

        Skip(ref reader);
        return null;
    }

    private static ulong? ReadUInt64(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.Integer)
        {
            return reader.ReadUInt64();
        }

        Skip(ref reader);
        return null;
    }

    /// <summary>Skips one value of any shape, counting nesting against the untrusted-data depth limit.</summary>
    private static void Skip(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
            {
                var count = reader.ReadMapHeader();
                s_security.DepthStep(ref reader);
                for (var i = 0; i < count * 2; i++)
                {
                    Skip(ref reader);
                }

                reader.Depth--;
                break;
            }

            case MessagePackType.Array:
            {
                var count = reader.ReadArrayHeader();
                s_security.DepthStep(ref reader);
                for (var i = 0; i < count; i++)
                {
                    Skip(ref reader);
                }

                reader.Depth--;
                break;
            }

            default:
                reader.Skip();
                break;
        }
    }

    private static void WriteData(ref MessagePackWriter w, WebPubSubDataType dataType, ReadOnlySpan<byte> data)
    {
        WriteString(ref w, WebPubSubFields.DataType, DataTypeName(dataType));
        w.Write(WebPubSubFields.Data);
        if (dataType is WebPubSubDataType.Json or WebPubSubDataType.Text)
        {
            w.WriteString(data);
        }
        else
        {
            w.Write(data);
        }
    }

    private static void WriteAckId(ref MessagePackWriter w, ulong? ackId)
    {
        if (ackId is { } id)
        {
            w.Write(WebPubSubFields.AckId);
            w.Write(id);
        }
    }

    private static void WriteString(ref MessagePackWriter w, string key, string value)
    {
        w.Write(key);
        w.Write(value);
    }

    /// <summary>A request with a payload: the <paramref name="fields"/> pairs of <paramref name="head"/>, <c>dataType</c> and <c>data</c>, then <paramref name="tail"/>.</summary>
    private static byte[] WriteWithData(int fields, WebPubSubDataType dataType, ReadOnlySpan<byte> data, Body head, Body? tail = null)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 128);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(fields);
        head(ref w);
        WriteData(ref w, dataType, data);
        tail?.Invoke(ref w);
        w.Flush();
        return ToArray(buffer);
    }

    private static byte[] Write(int fields, Body body)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(fields);
        body(ref w);
        w.Flush();
        return ToArray(buffer);
    }
}
