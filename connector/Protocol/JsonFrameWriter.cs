using System.Buffers;
using System.Text.Json;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Protocol;

/// <summary>
/// Writes the server → client frames of <c>json.webpubsub.azure.v1</c>. Every frame is one JSON object meant for
/// one WebSocket text message. Message frames are written once per delivery and shared by all recipients.
/// </summary>
internal static class JsonFrameWriter
{
    private static readonly JsonWriterOptions s_options = new() { Indented = false, SkipValidation = false };

    /// <summary>The pong frame, encoded once.</summary>
    public static ReadOnlyMemory<byte> Pong { get; } = """{"type":"pong"}"""u8.ToArray();

    public static byte[] Connected(string connectionId, string? userId) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "connected");
        if (userId is null)
        {
            w.WriteNull("userId");
        }
        else
        {
            w.WriteString("userId", userId);
        }

        w.WriteString("connectionId", connectionId);
    });

    public static byte[] Disconnected(string message) => Write(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("event", "disconnected");
        w.WriteString("message", message);
    });

    public static byte[] AckSuccess(ulong ackId) => Write(w =>
    {
        w.WriteString("type", "ack");
        w.WriteNumber("ackId", ackId);
        w.WriteBoolean("success", true);
    });

    public static byte[] AckError(ulong ackId, string name, string message) => Write(w =>
    {
        w.WriteString("type", "ack");
        w.WriteNumber("ackId", ackId);
        w.WriteBoolean("success", false);
        w.WriteStartObject("error");
        w.WriteString("name", name);
        w.WriteString("message", message);
        w.WriteEndObject();
    });

    public static byte[] Ack(AckOutcome outcome) => outcome.Success
        ? AckSuccess(outcome.AckId)
        : AckError(outcome.AckId, outcome.ErrorName ?? AckErrorNames.InternalServerError, outcome.ErrorMessage ?? "");

    /// <summary>
    /// The <c>message</c> frame of a delivery: <c>from</c> = group for group deliveries (with <c>fromUserId</c> and
    /// <c>group</c>), server otherwise. JSON data is embedded as JSON, text as a string, binary as base64.
    /// </summary>
    public static byte[] Message(Delivery delivery) => Write(w =>
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
    });

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
