using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace BrokerChat.Client.Protocol;

/// <summary>
/// <c>json.webpubsub.azure.v1</c> and its reliable twin: one JSON object per text message. <c>data</c> is written as
/// embedded JSON for <c>json</c>, a string for <c>text</c>, base64 for <c>binary</c>/<c>protobuf</c>.
/// </summary>
internal sealed class JsonFrameCodec : FrameCodec
{
    public static readonly JsonFrameCodec Instance = new();

    private static readonly JsonDocumentOptions s_readOptions = new() { MaxDepth = 64 };
    private static readonly ReadOnlyMemory<byte> s_ping = """{"type":"ping"}"""u8.ToArray();

    private JsonFrameCodec()
    {
    }

    public override WebSocketMessageType MessageType => WebSocketMessageType.Text;

    public override ReadOnlyMemory<byte> Ping => s_ping;

    public override byte[] GroupRequest(string type, string group, ulong? ackId, int? history = null, bool presence = false) => Write(w =>
    {
        w.WriteString("type", type);
        w.WriteString("group", group);
        WriteAckId(w, ackId);
        if (history is { } count)
        {
            w.WriteNumber("history", count);
        }

        if (presence)
        {
            w.WriteBoolean("presence", true);
        }
    });

    public override byte[] SendToGroup(string group, WebPubSubDataType dataType, ReadOnlySpan<byte> data, bool noEcho, ulong? ackId)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "sendToGroup");
            w.WriteString("group", group);
            WriteAckId(w, ackId);
            WriteData(w, dataType, data);
            w.WriteBoolean("noEcho", noEcho);
            w.WriteEndObject();
        }

        return ToArray(buffer);
    }

    public override byte[] Event(string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "event");
            w.WriteString("event", eventName);
            WriteAckId(w, ackId);
            WriteData(w, dataType, data);
            w.WriteEndObject();
        }

        return ToArray(buffer);
    }

    public override byte[] SequenceAck(ulong sequenceId) => Write(w =>
    {
        w.WriteString("type", "sequenceAck");
        w.WriteNumber("sequenceId", sequenceId);
    });

    public override bool TryRead(ReadOnlyMemory<byte> message, WebSocketMessageType messageType, out ServerFrame frame)
    {
        frame = new ServerFrame();
        if (messageType != WebSocketMessageType.Text)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(message, s_readOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            frame.Kind = ServerFrame.KindOf(GetString(root, "type"), GetString(root, "event"));
            switch (frame.Kind)
            {
                case ServerFrameKind.Ack:
                    frame.AckId = GetUInt64(root, "ackId");
                    frame.Success = root.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.True;
                    if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                    {
                        frame.ErrorName = GetString(error, "name");
                        frame.ErrorMessage = GetString(error, "message");
                    }

                    return frame.AckId is not null;
                case ServerFrameKind.Message:
                    frame.From = GetString(root, "from");
                    frame.Group = GetString(root, "group");
                    frame.FromUserId = GetString(root, "fromUserId");
                    frame.SequenceId = GetUInt64(root, "sequenceId");
                    frame.History = root.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.True;
                    frame.DataType = ServerFrame.ParseDataType(GetString(root, "dataType"));
                    if (frame.DataType is { } dataType && root.TryGetProperty("data", out var data))
                    {
                        frame.Data = ReadData(dataType, data);
                    }

                    return true;
                case ServerFrameKind.Connected:
                    frame.ConnectionId = GetString(root, "connectionId");
                    frame.UserId = GetString(root, "userId");
                    frame.ReconnectionToken = GetString(root, "reconnectionToken");
                    return frame.ConnectionId is not null;
                case ServerFrameKind.Disconnected:
                    frame.Message = GetString(root, "message");
                    return true;
                case ServerFrameKind.Presence:
                    frame.Group = GetString(root, "group");
                    frame.Action = GetString(root, "action");
                    frame.UserId = GetString(root, "userId");
                    frame.ConnectionId = GetString(root, "connectionId");
                    return frame.IsWellFormedSystem;
                case ServerFrameKind.Members:
                    frame.Group = GetString(root, "group");
                    frame.AckId = GetUInt64(root, "ackId");
                    frame.Complete = root.TryGetProperty("complete", out var complete) && complete.ValueKind == JsonValueKind.True;
                    if (root.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array)
                    {
                        frame.Members = [];
                        foreach (var member in members.EnumerateArray())
                        {
                            if (member.ValueKind == JsonValueKind.Object && GetString(member, "connectionId") is { } id)
                            {
                                frame.Members.Add(new BrokerChatMember(GetString(member, "userId"), id));
                            }
                        }
                    }

                    return frame.IsWellFormedSystem;
                default:
                    return true;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static ReadOnlyMemory<byte> ReadData(WebPubSubDataType dataType, JsonElement data) => dataType switch
    {
        WebPubSubDataType.Json => JsonMarshal.GetRawUtf8Value(data).ToArray(),
        WebPubSubDataType.Text => Encoding.UTF8.GetBytes(data.GetString() ?? ""),
        _ => data.GetBytesFromBase64(),
    };

    private static void WriteData(Utf8JsonWriter w, WebPubSubDataType dataType, ReadOnlySpan<byte> data)
    {
        w.WriteString("dataType", DataTypeName(dataType));
        w.WritePropertyName("data");
        switch (dataType)
        {
            case WebPubSubDataType.Json:
                w.WriteRawValue(data, skipInputValidation: false);
                break;
            case WebPubSubDataType.Text:
                w.WriteStringValue(data);
                break;
            default:
                w.WriteBase64StringValue(data);
                break;
        }
    }

    private static void WriteAckId(Utf8JsonWriter w, ulong? ackId)
    {
        if (ackId is { } id)
        {
            w.WriteNumber("ackId", id);
        }
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ulong? GetUInt64(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var number) ? number : null;

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return ToArray(buffer);
    }
}
