using System.Buffers;
using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.History;

namespace BrokerChat.Connector.Frames;

/// <summary>
/// Writes the server → client frames of <c>json.webpubsub.azure.v1</c>. Every frame is one JSON object meant for
/// one WebSocket text message. Message frames are written once per delivery and shared by all recipients.
/// </summary>
internal sealed partial class JsonFrameWriter : FrameWriter
{
    /// <summary>The one instance.</summary>
    public static readonly JsonFrameWriter Instance = new();

    private static readonly JsonWriterOptions s_options = new() { Indented = false, SkipValidation = false };

    private static readonly byte[] s_pong = Write(static w => w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.PongUtf8));

    /// <summary><c>{"sequenceId":</c>, the start of <see cref="WriteSequencePrefix"/>'s prefix.</summary>
    private static readonly byte[] s_sequencePrefix = Encoding.UTF8.GetBytes("{\"" + WebPubSubFields.SequenceId + "\":");

    private JsonFrameWriter()
    {
    }

    /// <inheritdoc />
    public override ReadOnlyMemory<byte> Pong => s_pong;

    /// <inheritdoc />
    public override byte[] Connected(string connectionId, string? userId, string? reconnectionToken) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.ConnectedUtf8);
        WriteMember(w, userId, connectionId);
        if (reconnectionToken is not null)
        {
            w.WriteString(WebPubSubFields.ReconnectionTokenUtf8, reconnectionToken);
        }
    });

    /// <inheritdoc />
    public override byte[] Disconnected(string message) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.DisconnectedUtf8);
        w.WriteString(WebPubSubFields.MessageUtf8, message);
    });

    /// <inheritdoc />
    public override byte[] AckSuccess(ulong ackId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.AckUtf8);
        w.WriteNumber(WebPubSubFields.AckIdUtf8, ackId);
        w.WriteBoolean(WebPubSubFields.SuccessUtf8, true);
    });

    /// <inheritdoc />
    public override byte[] AckError(ulong ackId, string name, string message) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.AckUtf8);
        w.WriteNumber(WebPubSubFields.AckIdUtf8, ackId);
        WriteFailure(w, name, message);
    });

    /// <inheritdoc />
    public override byte[] InvokeError(string invocationId, string name, string message) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.InvokeResponseUtf8);
        w.WriteString(WebPubSubFields.InvocationIdUtf8, invocationId);
        WriteFailure(w, name, message);
    });

    /// <inheritdoc />
    public override byte[] InvokeSuccess(string invocationId, DataType dataType, byte[]? payload) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.InvokeResponseUtf8);
        w.WriteString(WebPubSubFields.InvocationIdUtf8, invocationId);
        w.WriteBoolean(WebPubSubFields.SuccessUtf8, true);
        if (payload is not null)
        {
            WriteData(w, dataType, payload);
        }
    });

    /// <summary><c>"success":false</c> and the <c>error</c> object of an ack or an invocation's response.</summary>
    private static void WriteFailure(Utf8JsonWriter w, string name, string message)
    {
        w.WriteBoolean(WebPubSubFields.SuccessUtf8, false);
        w.WriteStartObject(WebPubSubFields.ErrorUtf8);
        w.WriteString(WebPubSubFields.NameUtf8, name);
        w.WriteString(WebPubSubFields.MessageUtf8, message);
        w.WriteEndObject();
    }

    /// <inheritdoc />
    /// <remarks>JSON data is embedded as JSON, text as a string, binary as base64.</remarks>
    public override byte[] Message(Delivery delivery) => Write(w => WriteMessage(w, delivery, history: false));

    /// <inheritdoc />
    public override byte[] HistoryMessage(Delivery delivery) => Write(w => WriteMessage(w, delivery, history: true));

    /// <inheritdoc />
    public override byte[] Presence(string group, bool joined, string? userId, string connectionId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.PresenceUtf8);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        w.WriteString(WebPubSubFields.ActionUtf8, joined ? WebPubSubPresenceActions.JoinUtf8 : WebPubSubPresenceActions.LeaveUtf8);
        WriteMember(w, userId, connectionId);
    });

    /// <inheritdoc />
    public override byte[] Members(string group, ulong? ackId, IReadOnlyList<GroupMember> members, bool complete) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MembersUtf8);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        if (ackId is { } id)
        {
            w.WriteNumber(WebPubSubFields.AckIdUtf8, id);
        }

        w.WriteBoolean(WebPubSubFields.CompleteUtf8, complete);
        w.WriteStartArray(WebPubSubFields.MembersUtf8);
        foreach (var member in members)
        {
            w.WriteStartObject();
            WriteMember(w, member.UserId, member.ConnectionId);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <inheritdoc />
    public override byte[] Messages(string group, ulong? ackId, HistoryPage page) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SystemUtf8);
        w.WriteString(WebPubSubFields.EventUtf8, WebPubSubSystemEvents.MessagesUtf8);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        if (ackId is { } id)
        {
            w.WriteNumber(WebPubSubFields.AckIdUtf8, id);
        }

        WriteMessages(w, page);
        if (page.Next is { } next)
        {
            w.WriteString(WebPubSubFields.NextUtf8, HistoryCursor.Format(next));
        }
        else
        {
            w.WriteNull(WebPubSubFields.NextUtf8);
        }
    });

    /// <summary>
    /// <c>"messages": [...]</c>: each stored message as <c>messageId</c>, <c>fromUserId</c>, <c>timestamp</c>, then
    /// <c>dataType</c> and <c>data</c> as a message frame has them (or <c>"deleted": true</c> for a tombstone) and
    /// <c>editedAt</c> when it was edited. The REST API writes its pages with this too.
    /// </summary>
    internal static void WriteMessages(Utf8JsonWriter w, HistoryPage page, ReadOnlySpan<byte> name = default)
    {
        w.WriteStartArray(name.IsEmpty ? WebPubSubFields.MessagesUtf8 : name);
        foreach (var message in page.Messages)
        {
            w.WriteStartObject();
            w.WriteString(WebPubSubFields.MessageIdUtf8, message.MessageId);
            if (message.FromUserId is null)
            {
                w.WriteNull(WebPubSubFields.FromUserIdUtf8);
            }
            else
            {
                w.WriteString(WebPubSubFields.FromUserIdUtf8, message.FromUserId);
            }

            w.WriteString(WebPubSubFields.TimestampUtf8, Timestamp(message.CreatedAt));
            if (message.EditedAt is { } edited)
            {
                w.WriteString(WebPubSubFields.EditedAtUtf8, Timestamp(edited));
            }

            if (message.Payload is { } payload)
            {
                WriteData(w, message.DataType, payload);
            }
            else
            {
                w.WriteBoolean(WebPubSubFields.DeletedUtf8, true);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteMember(Utf8JsonWriter w, string? userId, string connectionId)
    {
        if (userId is null)
        {
            w.WriteNull(WebPubSubFields.UserIdUtf8);
        }
        else
        {
            w.WriteString(WebPubSubFields.UserIdUtf8, userId);
        }

        w.WriteString(WebPubSubFields.ConnectionIdUtf8, connectionId);
    }

    private static void WriteMessage(Utf8JsonWriter w, Delivery delivery, bool history)
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.MessageUtf8);
        if (delivery.Target == DeliveryTarget.Group)
        {
            w.WriteString(WebPubSubFields.FromUtf8, WebPubSubMessageSources.GroupUtf8);
            if (delivery.FromUserId is not null)
            {
                w.WriteString(WebPubSubFields.FromUserIdUtf8, delivery.FromUserId);
            }

            w.WriteString(WebPubSubFields.GroupUtf8, delivery.Group);
        }
        else
        {
            w.WriteString(WebPubSubFields.FromUtf8, WebPubSubMessageSources.ServerUtf8);
        }

        if (history)
        {
            w.WriteBoolean(WebPubSubFields.HistoryUtf8, true);
        }

        WriteData(w, delivery.DataType, delivery.Payload ?? []);
    }

    /// <summary><c>dataType</c> and <c>data</c>: JSON data embedded as JSON, text as a string, binary as base64.</summary>
    private static void WriteData(Utf8JsonWriter w, DataType dataType, byte[] payload)
    {
        switch (dataType)
        {
            case DataType.Text:
                w.WriteString(WebPubSubFields.DataTypeUtf8, WebPubSubDataTypes.TextUtf8);
                w.WriteString(WebPubSubFields.DataUtf8, payload);
                break;
            case DataType.Binary:
                w.WriteString(WebPubSubFields.DataTypeUtf8, WebPubSubDataTypes.BinaryUtf8);
                w.WriteBase64String(WebPubSubFields.DataUtf8, payload);
                break;
            default:
                w.WriteString(WebPubSubFields.DataTypeUtf8, WebPubSubDataTypes.JsonUtf8);
                w.WritePropertyName(WebPubSubFields.DataUtf8);
                // Validated by the functions; validated again here once per delivery, so a bad record can never
                // produce a frame that breaks a client's JSON parser.
                w.WriteRawValue(payload, skipInputValidation: false);
                break;
        }
    }

    /// <inheritdoc />
    /// <remarks>The prefix is <c>{"sequenceId":n,</c>, taking the place of the shared frame's opening brace.</remarks>
    public override int WriteSequencePrefix(Span<byte> destination, ulong sequenceId, byte firstByte)
    {
        if (firstByte != (byte)'{')
        {
            throw new ArgumentException("A JSON message frame starts with '{'.", nameof(firstByte));
        }

        ReadOnlySpan<byte> prefix = s_sequencePrefix;
        prefix.CopyTo(destination);
        System.Buffers.Text.Utf8Formatter.TryFormat(sequenceId, destination[prefix.Length..], out var digits);
        destination[prefix.Length + digits] = (byte)',';
        return prefix.Length + digits + 1;
    }

    // One scratch buffer and writer per thread: a frame costs exactly one allocation, the array it ends up in.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, s_options);
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            writer.Reset();
            if (buffer.Capacity > 64 * 1024)
            {
                t_buffer = null; // do not keep a large frame's buffer alive on this thread
            }
        }
    }
}
