using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client.Protocol;

/// <summary>
/// <c>json.webpubsub.azure.v1</c> and its reliable twin: one JSON object per text message. <c>data</c> is written as
/// embedded JSON for <c>json</c>, a string for <c>text</c>, base64 for <c>binary</c>/<c>protobuf</c>.
/// </summary>
internal sealed partial class JsonFrameCodec : FrameCodec
{
    public static readonly JsonFrameCodec Instance = new();

    private static readonly JsonDocumentOptions s_readOptions = new() { MaxDepth = 64 };
    private static readonly ReadOnlyMemory<byte> s_ping = Write(w => w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.PingUtf8));

    private JsonFrameCodec()
    {
    }

    public override WebSocketMessageType MessageType => WebSocketMessageType.Text;

    public override ReadOnlyMemory<byte> Ping => s_ping;

    public override byte[] GroupRequest(string type, string group, ulong? ackId, int? history = null, bool presence = false) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, type);
        w.WriteString(WebPubSubFields.GroupUtf8, group);
        WriteAckId(w, ackId);
        if (history is { } count)
        {
            w.WriteNumber(WebPubSubFields.HistoryUtf8, count);
        }

        if (presence)
        {
            w.WriteBoolean(WebPubSubFields.PresenceUtf8, true);
        }
    });

    public override byte[] SendToGroup(string group, WebPubSubDataType dataType, ReadOnlySpan<byte> data, bool noEcho, ulong? ackId) =>
        WriteWithData(dataType, data, w =>
        {
            w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SendToGroupUtf8);
            w.WriteString(WebPubSubFields.GroupUtf8, group);
            WriteAckId(w, ackId);
        }, w => w.WriteBoolean(WebPubSubFields.NoEchoUtf8, noEcho));

    public override byte[] Event(string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data, ulong? ackId) =>
        WriteWithData(dataType, data, w =>
        {
            w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.EventUtf8);
            w.WriteString(WebPubSubFields.EventUtf8, eventName);
            WriteAckId(w, ackId);
        });

    public override byte[] Invoke(string invocationId, string eventName, WebPubSubDataType dataType, ReadOnlySpan<byte> data) =>
        WriteWithData(dataType, data, w =>
        {
            w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.InvokeUtf8);
            w.WriteString(WebPubSubFields.InvocationIdUtf8, invocationId);
            w.WriteString(WebPubSubFields.TargetUtf8, WebPubSubInvokeTargets.EventUtf8);
            w.WriteString(WebPubSubFields.EventUtf8, eventName);
        });

    public override byte[] CancelInvocation(string invocationId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.CancelInvocationUtf8);
        w.WriteString(WebPubSubFields.InvocationIdUtf8, invocationId);
    });

    public override byte[] SequenceAck(ulong sequenceId) => Write(w =>
    {
        w.WriteString(WebPubSubFields.TypeUtf8, WebPubSubMessageTypes.SequenceAckUtf8);
        w.WriteNumber(WebPubSubFields.SequenceIdUtf8, sequenceId);
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

            frame.Kind = ServerFrame.KindOf(GetString(root, WebPubSubFields.Type), GetString(root, WebPubSubFields.Event));
            switch (frame.Kind)
            {
                case ServerFrameKind.Ack:
                    frame.AckId = GetUInt64(root, WebPubSubFields.AckId);
                    ReadOutcome(root, frame);
                    return frame.AckId is not null;
                case ServerFrameKind.InvokeResponse:
                    frame.InvocationId = GetString(root, WebPubSubFields.InvocationId);
                    ReadOutcome(root, frame);
                    ReadPayload(root, frame);
                    return frame.InvocationId is not null;
                case ServerFrameKind.Message:
                    frame.From = GetString(root, WebPubSubFields.From);
                    frame.Group = GetString(root, WebPubSubFields.Group);
                    frame.FromUserId = GetString(root, WebPubSubFields.FromUserId);
                    frame.SequenceId = GetUInt64(root, WebPubSubFields.SequenceId);
                    frame.History = root.TryGetProperty(WebPubSubFields.History, out var history) && history.ValueKind == JsonValueKind.True;
                    ReadPayload(root, frame);
                    return true;
                case ServerFrameKind.Connected:
                    frame.ConnectionId = GetString(root, WebPubSubFields.ConnectionId);
                    frame.UserId = GetString(root, WebPubSubFields.UserId);
                    frame.ReconnectionToken = GetString(root, WebPubSubFields.ReconnectionToken);
                    return frame.ConnectionId is not null;
                case ServerFrameKind.Disconnected:
                    frame.Message = GetString(root, WebPubSubFields.Message);
                    return true;
                case ServerFrameKind.Presence:
                    frame.Group = GetString(root, WebPubSubFields.Group);
                    frame.Action = GetString(root, WebPubSubFields.Action);
                    frame.UserId = GetString(root, WebPubSubFields.UserId);
                    frame.ConnectionId = GetString(root, WebPubSubFields.ConnectionId);
                    return frame.IsWellFormedSystem;
                case ServerFrameKind.Members:
                    frame.Group = GetString(root, WebPubSubFields.Group);
                    frame.AckId = GetUInt64(root, WebPubSubFields.AckId);
                    frame.Complete = root.TryGetProperty(WebPubSubFields.Complete, out var complete) && complete.ValueKind == JsonValueKind.True;
                    if (root.TryGetProperty(WebPubSubFields.Members, out var members) && members.ValueKind == JsonValueKind.Array)
                    {
                        frame.Members = [];
                        foreach (var member in members.EnumerateArray())
                        {
                            if (member.ValueKind == JsonValueKind.Object && GetString(member, WebPubSubFields.ConnectionId) is { } id)
                            {
                                frame.Members.Add(new BrokerChatMember(GetString(member, WebPubSubFields.UserId), id));
                            }
                        }
                    }

                    return frame.IsWellFormedSystem;
                case ServerFrameKind.MessagePage:
                    ReadMessagePage(root, frame);
                    return frame.IsWellFormedSystem;
                case ServerFrameKind.MessageChanged:
                    return ReadChange(root, frame);
                default:
                    return true;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>An ack's or invokeResponse's <c>success</c> and, when it failed, its <c>error</c>'s name and message.</summary>
    private static void ReadOutcome(JsonElement root, ServerFrame frame)
    {
        frame.Success = root.TryGetProperty(WebPubSubFields.Success, out var success) && success.ValueKind == JsonValueKind.True;
        if (root.TryGetProperty(WebPubSubFields.Error, out var error) && error.ValueKind == JsonValueKind.Object)
        {
            frame.ErrorName = GetString(error, WebPubSubFields.Name);
            frame.ErrorMessage = GetString(error, WebPubSubFields.Message);
        }
    }

    /// <summary><c>dataType</c> and <c>data</c>; data of a missing or unknown type is not read.</summary>
    private static void ReadPayload(JsonElement root, ServerFrame frame)
    {
        frame.DataType = ServerFrame.ParseDataType(GetString(root, WebPubSubFields.DataType));
        if (frame.DataType is { } dataType && root.TryGetProperty(WebPubSubFields.Data, out var data))
        {
            frame.Data = ReadData(dataType, data);
        }
    }

    private static ReadOnlyMemory<byte> ReadData(WebPubSubDataType dataType, JsonElement data) => dataType switch
    {
        WebPubSubDataType.Json => JsonMarshal.GetRawUtf8Value(data).ToArray(),
        WebPubSubDataType.Text => Encoding.UTF8.GetBytes(data.GetString() ?? ""),
        _ => data.GetBytesFromBase64(),
    };

    /// <summary>A request with a payload: the fields of <paramref name="head"/>, <c>dataType</c> and <c>data</c>, then those of <paramref name="tail"/>.</summary>
    private static byte[] WriteWithData(WebPubSubDataType dataType, ReadOnlySpan<byte> data, Action<Utf8JsonWriter> head, Action<Utf8JsonWriter>? tail = null)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            head(w);
            WriteData(w, dataType, data);
            tail?.Invoke(w);
            w.WriteEndObject();
        }

        return ToArray(buffer);
    }

    private static void WriteData(Utf8JsonWriter w, WebPubSubDataType dataType, ReadOnlySpan<byte> data)
    {
        w.WriteString(WebPubSubFields.DataTypeUtf8, DataTypeName(dataType));
        w.WritePropertyName(WebPubSubFields.DataUtf8);
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
            w.WriteNumber(WebPubSubFields.AckIdUtf8, id);
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
