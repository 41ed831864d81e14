using System.Buffers;
using System.Text.Json;

namespace BrokerChat.Peers.Bare;

/// <summary>
/// Serializes the server's frames with one reusable <see cref="Utf8JsonWriter"/> and scratch buffer (one per
/// connection, used by its receive loop only), copying each result once into a pooled <see cref="OutgoingFrame"/>.
/// </summary>
internal sealed class ServerFrames : IDisposable
{
    /// <summary>The answer to <c>ping</c>.</summary>
    public static readonly OutgoingFrame Pong = OutgoingFrame.Constant("""{"type":"pong"}""");

    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private readonly Utf8JsonWriter _json;

    public ServerFrames() => _json = new Utf8JsonWriter(_scratch, new JsonWriterOptions { SkipValidation = true });

    /// <summary><c>{"type":"system","event":"connected","userId":…,"connectionId":…}</c>.</summary>
    public OutgoingFrame Connected(string? userId, string connectionId)
    {
        Begin();
        _json.WriteString("type"u8, "system"u8);
        _json.WriteString("event"u8, "connected"u8);
        _json.WriteString("userId"u8, userId);
        _json.WriteString("connectionId"u8, connectionId);
        return End();
    }

    /// <summary><c>{"type":"message","from":"group","group":…,"dataType":…,"data":…}</c>, with the data copied raw.</summary>
    public OutgoingFrame GroupMessage(string group, string dataType, ReadOnlySpan<byte> rawData)
    {
        Begin();
        _json.WriteString("type"u8, "message"u8);
        _json.WriteString("from"u8, "group"u8);
        _json.WriteString("group"u8, group);
        _json.WriteString("dataType"u8, dataType);
        _json.WritePropertyName("data"u8);
        _json.WriteRawValue(rawData, skipInputValidation: true);
        return End();
    }

    /// <summary><c>{"type":"ack","ackId":…,"success":true}</c>, or with <c>success</c> false and an error.</summary>
    public OutgoingFrame Ack(ulong ackId, string? errorName = null, string? errorMessage = null)
    {
        Begin();
        _json.WriteString("type"u8, "ack"u8);
        _json.WriteNumber("ackId"u8, ackId);
        _json.WriteBoolean("success"u8, errorName is null);
        if (errorName is not null)
        {
            _json.WriteStartObject("error"u8);
            _json.WriteString("name"u8, errorName);
            _json.WriteString("message"u8, errorMessage);
            _json.WriteEndObject();
        }

        return End();
    }

    /// <inheritdoc />
    public void Dispose() => _json.Dispose();

    private void Begin()
    {
        _scratch.ResetWrittenCount();
        _json.Reset();
        _json.WriteStartObject();
    }

    private OutgoingFrame End()
    {
        _json.WriteEndObject();
        _json.Flush();
        return OutgoingFrame.Pooled(_scratch.WrittenSpan);
    }
}
