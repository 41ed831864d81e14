using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Connector.Requests;

/// <summary>The outcome of parsing one client frame.</summary>
internal enum ParseStatus
{
    /// <summary>A well-formed request.</summary>
    Ok,

    /// <summary>Valid JSON, but a field is missing or wrong; the request can be answered with an ack error.</summary>
    Invalid,

    /// <summary>Not a JSON object at all; the connection is closed with 1007.</summary>
    Malformed,
}

/// <summary>
/// Parses <c>json.webpubsub.azure.v1</c> requests with <see cref="Utf8JsonReader"/>: depth-limited, allocation
/// only for the fields kept. The <c>data</c> value is kept as raw JSON (dataType json), its unescaped UTF-8
/// (text) or its base64-decoded bytes (binary), whatever order the fields come in.
/// </summary>
internal static class JsonRequestParser
{
    private static readonly JsonReaderOptions s_options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The request types by the invariant lower case of their <c>type</c> names, looked up by span.</summary>
    private static readonly Dictionary<string, ClientRequestType>.AlternateLookup<ReadOnlySpan<char>> s_typesByLowerName = new Dictionary<string, ClientRequestType>(StringComparer.Ordinal)
    {
        [WebPubSubMessageTypes.JoinGroup.ToLowerInvariant()] = ClientRequestType.JoinGroup,
        [WebPubSubMessageTypes.LeaveGroup.ToLowerInvariant()] = ClientRequestType.LeaveGroup,
        [WebPubSubMessageTypes.SendToGroup.ToLowerInvariant()] = ClientRequestType.SendToGroup,
        [WebPubSubMessageTypes.Event.ToLowerInvariant()] = ClientRequestType.Event,
        [WebPubSubMessageTypes.Ping.ToLowerInvariant()] = ClientRequestType.Ping,
        [WebPubSubMessageTypes.SequenceAck.ToLowerInvariant()] = ClientRequestType.SequenceAck,
        [WebPubSubMessageTypes.ListMembers.ToLowerInvariant()] = ClientRequestType.ListMembers,
        [WebPubSubMessageTypes.ListMessages.ToLowerInvariant()] = ClientRequestType.ListMessages,
        [WebPubSubMessageTypes.Invoke.ToLowerInvariant()] = ClientRequestType.Invoke,
        [WebPubSubMessageTypes.CancelInvocation.ToLowerInvariant()] = ClientRequestType.CancelInvocation,
        [WebPubSubMessageTypes.EditMessage.ToLowerInvariant()] = ClientRequestType.EditMessage,
        [WebPubSubMessageTypes.DeleteMessage.ToLowerInvariant()] = ClientRequestType.DeleteMessage,
    }.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly int s_longestTypeName = s_typesByLowerName.Dictionary.Keys.Max(name => name.Length);

    public static ParseStatus Parse(ReadOnlySpan<byte> json, ClientRequest request, out string? error)
    {
        error = null;
        var dataStart = -1;
        var dataEnd = -1;
        byte[]? dataString = null;
        string? dataTypeName = null;
        try
        {
            var reader = new Utf8JsonReader(json, s_options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "A request must be a JSON object.";
                return ParseStatus.Malformed;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(WebPubSubFields.TypeUtf8))
                {
                    request.TypeName = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.GroupUtf8))
                {
                    request.Group = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.AckIdUtf8))
                {
                    request.AckId = ReadUInt64(ref reader, WebPubSubFields.AckId);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.DataTypeUtf8))
                {
                    dataTypeName = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.NoEchoUtf8))
                {
                    request.NoEcho = ReadBoolean(ref reader, WebPubSubFields.NoEcho);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.PresenceUtf8))
                {
                    request.Presence = ReadBoolean(ref reader, WebPubSubFields.Presence);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.HistoryUtf8))
                {
                    request.History = HistoryCount(ReadUInt64(ref reader, WebPubSubFields.History));
                }
                else if (reader.ValueTextEquals(WebPubSubFields.BeforeUtf8))
                {
                    request.Before = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.AfterUtf8))
                {
                    request.After = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.LimitUtf8))
                {
                    request.Limit = HistoryCount(ReadUInt64(ref reader, WebPubSubFields.Limit));
                }
                else if (reader.ValueTextEquals(WebPubSubFields.EventUtf8))
                {
                    request.Event = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.InvocationIdUtf8))
                {
                    request.InvocationId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.MessageIdUtf8))
                {
                    request.MessageId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.SequenceIdUtf8))
                {
                    request.SequenceId = ReadUInt64(ref reader, WebPubSubFields.SequenceId);
                }
                else if (reader.ValueTextEquals(WebPubSubFields.DataUtf8))
                {
                    reader.Read();
                    dataStart = (int)reader.TokenStartIndex;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        dataString = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan.ToArray();
                    }
                    else
                    {
                        reader.Skip();
                    }

                    dataEnd = (int)reader.BytesConsumed;
                }
                else
                {
                    // Unknown fields are ignored, so newer clients keep working.
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "A frame must hold exactly one JSON object.";
                return ParseStatus.Malformed;
            }
        }
        catch (JsonException ex)
        {
            error = "The frame is not valid JSON: " + ex.Message;
            return ParseStatus.Malformed;
        }
        catch (InvalidOperationException ex)
        {
            // Well-formed JSON whose string is not valid Unicode (an unpaired \ud800 escape, or bytes that are not UTF-8).
            error = "The frame is not valid JSON text: " + ex.Message;
            return ParseStatus.Malformed;
        }
        catch (InvalidRequestException ex)
        {
            error = ex.Message;
            return ParseStatus.Invalid;
        }

        request.Type = TypeOf(request.TypeName);
        if (request.TypeName is null)
        {
            error = "The request has no type.";
            return ParseStatus.Invalid;
        }

        // An invoke's data is optional; when it has some, it is read as an event's is.
        if (HasData(request.Type) || (request.Type == ClientRequestType.Invoke && dataStart >= 0))
        {
            return ReadData(json, request, dataTypeName, dataStart, dataEnd, dataString, out error);
        }

        return ParseStatus.Ok;
    }

    private static ParseStatus ReadData(ReadOnlySpan<byte> json, ClientRequest request, string? dataTypeName, int start, int end, byte[]? dataString, out string? error)
    {
        error = null;
        switch (dataTypeName)
        {
            case null or WebPubSubDataTypes.Json:
                request.DataType = DataType.Json;
                if (start < 0)
                {
                    error = "The request has no data.";
                    return ParseStatus.Invalid;
                }

                request.Data = json[start..end].ToArray();
                return ParseStatus.Ok;

            case WebPubSubDataTypes.Text:
                request.DataType = DataType.Text;
                if (dataString is null)
                {
                    error = "Text data must be a JSON string.";
                    return ParseStatus.Invalid;
                }

                request.Data = dataString;
                return ParseStatus.Ok;

            case WebPubSubDataTypes.Binary:
                request.DataType = DataType.Binary;
                if (dataString is null)
                {
                    error = "Binary data must be a base64 string.";
                    return ParseStatus.Invalid;
                }

                var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(dataString.Length)];
                if (Base64.DecodeFromUtf8(dataString, decoded, out _, out var written) != OperationStatus.Done)
                {
                    error = "Binary data is not valid base64.";
                    return ParseStatus.Invalid;
                }

                request.Data = written == decoded.Length ? decoded : decoded[..written];
                return ParseStatus.Ok;

            default:
                error = $"Unsupported dataType '{dataTypeName}'; use {WebPubSubDataTypes.Json}, {WebPubSubDataTypes.Text} or {WebPubSubDataTypes.Binary}.";
                return ParseStatus.Invalid;
        }
    }

    /// <summary>
    /// The request type named by a request's <c>type</c>, matched case-insensitively (as its invariant lower case);
    /// <see cref="ClientRequestType.Unknown"/> for a name this connector does not know.
    /// </summary>
    internal static ClientRequestType TypeOf(string? type)
    {
        // Lower-cased into a stack buffer rather than a new string: this runs for every request.
        if (type is null || type.Length > s_longestTypeName)
        {
            return ClientRequestType.Unknown;
        }

        Span<char> lower = stackalloc char[s_longestTypeName];
        var length = type.AsSpan().ToLowerInvariant(lower);
        return s_typesByLowerName.TryGetValue(lower[..length], out var known) ? known : ClientRequestType.Unknown;
    }

    /// <summary>Whether a request of <paramref name="type"/> must carry <c>data</c> (an invoke may).</summary>
    internal static bool HasData(ClientRequestType type) => type is ClientRequestType.SendToGroup or ClientRequestType.Event or ClientRequestType.EditMessage;

    /// <summary><c>history</c> as a count: any unsigned number is accepted, and more than anyone may get is as many as they may get.</summary>
    internal static int? HistoryCount(ulong? history) => history is { } n ? (int)Math.Min(n, int.MaxValue) : null;

    private static bool ReadBoolean(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False or JsonTokenType.Null => false,
            _ => throw new InvalidRequestException($"{name} must be a boolean."),
        };
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new InvalidRequestException($"Expected a string, found {reader.TokenType}."),
        };
    }

    private static ulong? ReadUInt64(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out var value))
        {
            throw new InvalidRequestException($"{name} must be an unsigned 64-bit integer.");
        }

        return value;
    }

    private static byte[] Unescape(ref Utf8JsonReader reader)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var written = reader.CopyString(buffer);
            return buffer.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class InvalidRequestException(string message) : Exception(message);
}
