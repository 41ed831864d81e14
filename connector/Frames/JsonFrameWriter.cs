using System.Buffers;
using System.Text.Json;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Frames;

/// <summary>
/// Writes the server → client frames of <c>json.webpubsub.azure.v1</c>. Every frame is one JSON object meant for
/// one WebSocket text message. Message frames are written once per delivery and shared by all recipients.
/// </summary>
internal sealed class JsonFrameWriter : FrameWriter
{
    /// <summary>The one instance.</summary>
    public static readonly JsonFrameWriter Instance = new();

    private static readonly byte[] s_pong = """{"type":"pong"}"""u8.ToArray();

    private static readonly JsonWriterOptions s_options = new() { Indented = false, SkipValidation = false };

    private JsonFrameWriter()
    {
    }

    /// <inheritdoc />
    public override ReadOnlyMemory<byte> Pong => s_pong;

    /// <inheritdoc />
    public override byte[] Connected(string connectionId, string? userId, string? reconnectionToken) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "connected");
        WriteMember(w, userId, connectionId);
        if (reconnectionToken is not null)
        {
            w.WriteString("reconnectionToken", reconnectionToken);
        }
    });

    /// <inheritdoc />
    public override byte[] Disconnected(string message) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "disconnected");
        w.WriteString("message", message);
    });

    /// <inheritdoc />
    public override byte[] AckSuccess(ulong ackId) => Write(w =>
    {
        w.WriteString("type", "ack");
        w.WriteNumber("ackId", ackId);
        w.WriteBoolean("success", true);
    });

    /// <inheritdoc />
    public override byte[] AckError(ulong ackId, string name, string message) => Write(w =>
    {
        w.WriteString("type", "ack");
        w.WriteNumber("ackId", ackId);
        w.WriteBoolean("success", false);
        w.WriteStartObject("error");
        w.WriteString("name", name);
        w.WriteString("message", message);
        w.WriteEndObject();
    });

    /// <inheritdoc />
    /// <remarks>JSON data is embedded as JSON, text as a string, binary as base64.</remarks>
    public override byte[] Message(Delivery delivery) => Write(w => WriteMessage(w, delivery, history: false));

    /// <inheritdoc />
    public override byte[] HistoryMessage(Delivery delivery) => Write(w => WriteMessage(w, delivery, history: true));

    /// <inheritdoc />
    public override byte[] Presence(string group, bool joined, string? userId, string connectionId) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "presence");
        w.WriteString("group", group);
        w.WriteString("action", joined ? Joined : Left);
        WriteMember(w, userId, connectionId);
    });

    /// <inheritdoc />
    public override byte[] Members(string group, ulong? ackId, IReadOnlyList<GroupMember> members, bool complete) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "members");
        w.WriteString("group", group);
        if (ackId is { } id)
        {
            w.WriteNumber("ackId", id);
        }

        w.WriteBoolean("complete", complete);
        w.WriteStartArray("members");
        foreach (var member in members)
        {
            w.WriteStartObject();
            WriteMember(w, member.UserId, member.ConnectionId);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static void WriteMember(Utf8JsonWriter w, string? userId, string connectionId)
    {
        if (userId is null)
        {
            w.WriteNull("userId");
        }
        else
        {
            w.WriteString("userId", userId);
        }

        w.WriteString("connectionId", connectionId);
    }

    private static void WriteMessage(Utf8JsonWriter w, Delivery delivery, bool history)
    {
        w.WriteString("type", "message");
        if (delivery.Target == DeliveryTarget.Group)
        {
            w.WriteString("from", "group");
            if (delivery.FromUserId is not null)
            {
                w.WriteString("fromUserId", delivery.FromUserId);
            }

            w.WriteString("group", delivery.Group);
        }
        else
        {
            w.WriteString("from", "server");
        }

        if (history)
        {
            w.WriteBoolean("history", true);
        }

        var payload = delivery.Payload ?? [];
        switch (delivery.DataType)
        {
            case DataType.Text:
                w.WriteString("dataType", "text");
                w.WriteString("data", payload);
                break;
            case DataType.Binary:
                w.WriteString("dataType", "binary");
                w.WriteBase64String("data", payload);
                break;
            default:
                w.WriteString("dataType", "json");
                w.WritePropertyName("data");
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

        var prefix = "{\"sequenceId\":"u8;
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
