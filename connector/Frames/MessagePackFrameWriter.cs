using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.History;
using MessagePack;

namespace BrokerChat.Connector.Frames;

/// <summary>
/// Writes the server → client frames of <c>msgpack[.reliable].webpubsub.brokerchat.v1</c>: each frame is one
/// MessagePack map whose keys are the JSON protocol's field names, in one binary WebSocket message. <c>data</c> is a
/// bin for binary data, a str for text, and a str holding the JSON text for json data.
/// </summary>
internal sealed partial class MessagePackFrameWriter : FrameWriter
{
    /// <summary>The one instance.</summary>
    public static readonly MessagePackFrameWriter Instance = new();

    private static readonly byte[] s_pong = Write(1, static (ref MessagePackWriter w) => Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.PongUtf8));

    /// <summary>The <c>sequenceId</c> key as a MessagePack str (header and bytes), for <see cref="WriteSequencePrefix"/>.</summary>
    private static readonly byte[] s_sequenceIdKey = Str(WebPubSubFields.SequenceIdUtf8);

    private MessagePackFrameWriter()
    {
    }

    private delegate void Body(ref MessagePackWriter writer);

    /// <inheritdoc />
    public override ReadOnlyMemory<byte> Pong => s_pong;

    /// <inheritdoc />
    public override byte[] Connected(string connectionId, string? userId, string? reconnectionToken)
    {
        var count = 4 + (reconnectionToken is null ? 0 : 1);
        return Write(count, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
            Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.ConnectedUtf8);
            Pair(ref w, WebPubSubFields.UserIdUtf8, userId);
            Pair(ref w, WebPubSubFields.ConnectionIdUtf8, connectionId);
            if (reconnectionToken is not null)
            {
                Pair(ref w, WebPubSubFields.ReconnectionTokenUtf8, reconnectionToken);
            }
        });
    }

    /// <inheritdoc />
    public override byte[] Disconnected(string message) => Write(3, (ref MessagePackWriter w) =>
    {
        Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.DisconnectedUtf8);
        Pair(ref w, WebPubSubFields.MessageUtf8, message);
    });

    /// <inheritdoc />
    public override byte[] AckSuccess(ulong ackId) => Write(3, (ref MessagePackWriter w) =>
    {
        Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.AckUtf8);
        w.WriteString(WebPubSubFields.AckIdUtf8);
        w.Write(ackId);
        w.WriteString(WebPubSubFields.SuccessUtf8);
        w.Write(true);
    });

    /// <inheritdoc />
    public override byte[] AckError(ulong ackId, string name, string message) => Write(4, (ref MessagePackWriter w) =>
    {
        Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.AckUtf8);
        w.WriteString(WebPubSubFields.AckIdUtf8);
        w.Write(ackId);
        WriteFailure(ref w, name, message);
    });

    /// <inheritdoc />
    public override byte[] InvokeError(string invocationId, string name, string message) => Write(4, (ref MessagePackWriter w) =>
    {
        Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.InvokeResponseUtf8);
        Pair(ref w, WebPubSubFields.InvocationIdUtf8, invocationId);
        WriteFailure(ref w, name, message);
    });

    /// <inheritdoc />
    public override byte[] InvokeSuccess(string invocationId, DataType dataType, byte[]? payload)
    {
        if (payload is not null)
        {
            CheckData(dataType, payload);
        }

        return Write(payload is null ? 3 : 5, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.InvokeResponseUtf8);
            Pair(ref w, WebPubSubFields.InvocationIdUtf8, invocationId);
            w.WriteString(WebPubSubFields.SuccessUtf8);
            w.Write(true);
            if (payload is not null)
            {
                WriteData(ref w, dataType, payload);
            }
        });
    }

    /// <inheritdoc />
    public override byte[] Message(Delivery delivery) => MessageFrame(delivery, history: false);

    /// <inheritdoc />
    public override byte[] HistoryMessage(Delivery delivery) => MessageFrame(delivery, history: true);

    /// <inheritdoc />
    public override byte[] Presence(string group, bool joined, string? userId, string connectionId) => Write(6, (ref MessagePackWriter w) =>
    {
        Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.PresenceUtf8);
        Pair(ref w, WebPubSubFields.GroupUtf8, group);
        Pair(ref w, WebPubSubFields.ActionUtf8, joined ? WebPubSubPresenceActions.JoinUtf8 : WebPubSubPresenceActions.LeaveUtf8);
        Pair(ref w, WebPubSubFields.UserIdUtf8, userId);
        Pair(ref w, WebPubSubFields.ConnectionIdUtf8, connectionId);
    });

    /// <inheritdoc />
    public override byte[] Members(string group, ulong? ackId, IReadOnlyList<GroupMember> members, bool complete) =>
        Write(ackId is null ? 5 : 6, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
            Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MembersUtf8);
            Pair(ref w, WebPubSubFields.GroupUtf8, group);
            if (ackId is { } id)
            {
                w.WriteString(WebPubSubFields.AckIdUtf8);
                w.Write(id);
            }

            w.WriteString(WebPubSubFields.CompleteUtf8);
            w.Write(complete);
            w.WriteString(WebPubSubFields.MembersUtf8);
            w.WriteArrayHeader(members.Count);
            foreach (var member in members)
            {
                w.WriteMapHeader(2);
                Pair(ref w, WebPubSubFields.UserIdUtf8, member.UserId);
                Pair(ref w, WebPubSubFields.ConnectionIdUtf8, member.ConnectionId);
            }
        });

    /// <inheritdoc />
    public override byte[] Messages(string group, ulong? ackId, HistoryPage page)
    {
        foreach (var message in page.Messages)
        {
            if (message.Payload is { } payload)
            {
                CheckData(message.DataType, payload);
            }
        }

        return Write(ackId is null ? 5 : 6, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
            Pair(ref w, WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MessagesUtf8);
            Pair(ref w, WebPubSubFields.GroupUtf8, group);
            if (ackId is { } id)
            {
                w.WriteString(WebPubSubFields.AckIdUtf8);
                w.Write(id);
            }

            Pair(ref w, WebPubSubFields.NextUtf8, page.Next is { } next ? HistoryCursor.Format(next) : null);
            w.WriteString(WebPubSubFields.MessagesUtf8);
            w.WriteArrayHeader(page.Messages.Count);
            foreach (var message in page.Messages)
            {
                w.WriteMapHeader(3 + (message.EditedAt is null ? 0 : 1) + (message.Payload is null ? 1 : 2));
                Pair(ref w, WebPubSubFields.MessageIdUtf8, message.MessageId);
                Pair(ref w, WebPubSubFields.FromUserIdUtf8, message.FromUserId);
                Pair(ref w, WebPubSubFields.TimestampUtf8, Timestamp(message.CreatedAt));
                if (message.EditedAt is { } edited)
                {
                    Pair(ref w, WebPubSubFields.EditedAtUtf8, Timestamp(edited));
                }

                if (message.Payload is { } payload)
                {
                    WriteData(ref w, message.DataType, payload);
                }
                else
                {
                    w.WriteString(WebPubSubFields.DeletedUtf8);
                    w.Write(true);
                }
            }
        });
    }

    private static byte[] MessageFrame(Delivery delivery, bool history)
    {
        var payload = delivery.Payload ?? [];
        CheckData(delivery.DataType, payload);
        var group = delivery.Target == DeliveryTarget.Group;
        var count = 4 + (group ? 1 + (delivery.FromUserId is null ? 0 : 1) : 0) + (history ? 1 : 0);
        return Write(count, (ref MessagePackWriter w) =>
        {
            Pair(ref w, WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.MessageUtf8);
            if (group)
            {
                Pair(ref w, WebPubSubFields.FromUtf8, WebPubSubMessageSources.GroupUtf8);
                if (delivery.FromUserId is not null)
                {
                    Pair(ref w, WebPubSubFields.FromUserIdUtf8, delivery.FromUserId);
                }

                Pair(ref w, WebPubSubFields.GroupUtf8, delivery.Group);
            }
            else
            {
                Pair(ref w, WebPubSubFields.FromUtf8, WebPubSubMessageSources.ServerUtf8);
            }

            if (history)
            {
                w.WriteString(WebPubSubFields.HistoryUtf8);
                w.Write(true);
            }

            WriteData(ref w, delivery.DataType, payload);
        });
    }

    /// <summary>
    /// Throws when <paramref name="payload"/> does not fit <paramref name="dataType"/>. Validated by the functions;
    /// validated again once per delivery so no client is sent data that is not JSON or text that is not UTF-8.
    /// </summary>
    private static void CheckData(DataType dataType, byte[] payload)
    {
        if (dataType == DataType.Json)
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            while (reader.Read())
            {
            }
        }
        else if (dataType == DataType.Text && !Utf8.IsValid(payload))
        {
            throw new ArgumentException("Text data is not valid UTF-8.");
        }
    }

    /// <summary><c>dataType</c> and <c>data</c> (two map entries): a bin for binary data, a str for text and for JSON text.</summary>
    private static void WriteData(ref MessagePackWriter w, DataType dataType, byte[] payload)
    {
        Pair(ref w, WebPubSubFields.DataTypeUtf8, dataType switch
        {
            DataType.Binary => WebPubSubDataTypes.BinaryUtf8,
            DataType.Text => WebPubSubDataTypes.TextUtf8,
            _ => WebPubSubDataTypes.JsonUtf8,
        });
        w.WriteString(WebPubSubFields.DataUtf8);
        if (dataType == DataType.Binary)
        {
            w.Write(payload);
        }
        else
        {
            w.WriteString(payload);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The shared frame starts with a fixmap header (it has fewer than 15 entries); the prefix is the header with one
    /// entry more, followed by the <c>sequenceId</c> entry.
    /// </remarks>
    public override int WriteSequencePrefix(Span<byte> destination, ulong sequenceId, byte firstByte)
    {
        if ((firstByte & 0xF0) != 0x80 || (firstByte & 0x0F) == 0x0F)
        {
            throw new ArgumentException("A MessagePack message frame starts with a fixmap header of fewer than 15 entries.", nameof(firstByte));
        }

        // Written by hand (no writer, no allocation): this runs once per recipient of every message.
        destination[0] = (byte)(firstByte + 1);
        s_sequenceIdKey.CopyTo(destination[1..]);
        var at = 1 + s_sequenceIdKey.Length;
        var value = destination[at..];
        switch (sequenceId)
        {
            case <= 0x7F:
                value[0] = (byte)sequenceId;
                return at + 1;
            case <= byte.MaxValue:
                value[0] = 0xCC;
                value[1] = (byte)sequenceId;
                return at + 2;
            case <= ushort.MaxValue:
                value[0] = 0xCD;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(value[1..], (ushort)sequenceId);
                return at + 3;
            case <= uint.MaxValue:
                value[0] = 0xCE;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(value[1..], (uint)sequenceId);
                return at + 5;
            default:
                value[0] = 0xCF;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(value[1..], sequenceId);
                return at + 9;
        }
    }

    /// <summary><c>success: false</c> and the <c>error</c> map of an ack or an invocation's response.</summary>
    private static void WriteFailure(ref MessagePackWriter w, string name, string message)
    {
        w.WriteString(WebPubSubFields.SuccessUtf8);
        w.Write(false);
        w.WriteString(WebPubSubFields.ErrorUtf8);
        w.WriteMapHeader(2);
        Pair(ref w, WebPubSubFields.NameUtf8, name);
        Pair(ref w, WebPubSubFields.MessageUtf8, message);
    }

    private static void Pair(ref MessagePackWriter writer, ReadOnlySpan<byte> key, string? value)
    {
        writer.WriteString(key);
        writer.Write(value);
    }

    private static void Pair(ref MessagePackWriter writer, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        writer.WriteString(key);
        writer.WriteString(value);
    }

    /// <summary>A map of <paramref name="count"/> entries, which <paramref name="body"/> writes.</summary>
    private static byte[] Write(int count, Body body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(count);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A name as a MessagePack str: its header and its bytes.</summary>
    private static byte[] Str(ReadOnlySpan<byte> utf8)
    {
        var buffer = new ArrayBufferWriter<byte>(1 + utf8.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteString(utf8);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
