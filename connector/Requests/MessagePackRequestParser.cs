using System.Buffers;
using System.Text.Unicode;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;
using MessagePack;

namespace BrokerChat.Connector.Requests;

/// <summary>
/// Parses requests of <c>msgpack[.reliable].webpubsub.brokerchat.v1</c>: one MessagePack map per binary frame with the
/// JSON protocol's field names; <c>data</c> is a bin (binary), a str (text) or a str holding JSON text (json). Keys
/// are matched exactly, unknown keys are skipped, and the reader is bounded like any untrusted MessagePack
/// (<see cref="MessagePackSecurity.UntrustedData"/> depth limit; lengths checked against the frame).
/// </summary>
internal static class MessagePackRequestParser
{
    private const int MaxDepth = 16;

    public static ParseStatus Parse(ReadOnlyMemory<byte> frame, ClientRequest request, out string? error)
    {
        error = null;
        string? dataTypeName = null;
        ReadOnlyMemory<byte>? data = null;
        var dataIsBinary = false;
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
            {
                error = "A request must be a MessagePack map.";
                return ParseStatus.Malformed;
            }

            var count = reader.ReadMapHeader();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        reader.Skip();
                        reader.Skip();
                        continue;
                    }

                    var key = reader.ReadString();
                    switch (key)
                    {
                        case WebPubSubFields.Type:
                            request.TypeName = ReadString(ref reader);
                            break;
                        case WebPubSubFields.Group:
                            request.Group = ReadString(ref reader);
                            break;
                        case WebPubSubFields.AckId:
                            request.AckId = ReadUInt64(ref reader, WebPubSubFields.AckId);
                            break;
                        case WebPubSubFields.DataType:
                            dataTypeName = ReadString(ref reader);
                            break;
                        case WebPubSubFields.NoEcho:
                            request.NoEcho = ReadBoolean(ref reader, WebPubSubFields.NoEcho);
                            break;
                        case WebPubSubFields.Presence:
                            request.Presence = ReadBoolean(ref reader, WebPubSubFields.Presence);
                            break;
                        case WebPubSubFields.History:
                            request.History = JsonRequestParser.HistoryCount(ReadUInt64(ref reader, WebPubSubFields.History));
                            break;
                        case WebPubSubFields.Before:
                            request.Before = ReadString(ref reader);
                            break;
                        case WebPubSubFields.After:
                            request.After = ReadString(ref reader);
                            break;
                        case WebPubSubFields.Limit:
                            request.Limit = JsonRequestParser.HistoryCount(ReadUInt64(ref reader, WebPubSubFields.Limit));
                            break;
                        case WebPubSubFields.Event:
                            request.Event = ReadString(ref reader);
                            break;
                        case WebPubSubFields.InvocationId:
                            request.InvocationId = ReadString(ref reader);
                            break;
                        case WebPubSubFields.MessageId:
                            request.MessageId = ReadString(ref reader);
                            break;
                        case WebPubSubFields.SequenceId:
                            request.SequenceId = ReadUInt64(ref reader, WebPubSubFields.SequenceId);
                            break;
                        case WebPubSubFields.Data:
                            switch (reader.NextMessagePackType)
                            {
                                case MessagePackType.Binary:
                                    data = reader.ReadBytes() is { } bytes ? bytes.ToArray() : null;
                                    dataIsBinary = true;
                                    break;
                                case MessagePackType.String:
                                    data = reader.ReadStringSequence() is { } text ? text.ToArray() : null;
                                    break;
                                default:
                                    reader.Skip();
                                    break;
                            }

                            break;
                        default:
                            SkipBounded(ref reader);
                            break;
                    }
                }

                if (!reader.End)
                {
                    error = "A frame must hold exactly one MessagePack map.";
                    return ParseStatus.Malformed;
                }
            }
            catch (InvalidRequestException ex)
            {
                error = ex.Message;
                return ParseStatus.Invalid;
            }
        }
        // The reader throws ArgumentOutOfRangeException, not EndOfStreamException, when a str, bin or ext declares more bytes than follow.
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or InsufficientExecutionStackException or ArgumentOutOfRangeException)
        {
            error = "The frame is not valid MessagePack: " + ex.Message;
            return ParseStatus.Malformed;
        }

        request.Type = JsonRequestParser.TypeOf(request.TypeName);
        if (request.TypeName is null)
        {
            error = "The request has no type.";
            return ParseStatus.Invalid;
        }

        // An invoke's data is optional; when it has some, it is read as an event's is.
        if (!JsonRequestParser.HasData(request.Type) && !(request.Type == ClientRequestType.Invoke && data is not null))
        {
            return ParseStatus.Ok;
        }

        switch (dataTypeName)
        {
            case null or WebPubSubDataTypes.Json:
                request.DataType = DataType.Json;
                if (data is null || dataIsBinary || !JsonPayload.IsSingleValue(data.Value.Span))
                {
                    error = "JSON data must be a str holding one JSON value.";
                    return ParseStatus.Invalid;
                }

                break;
            case WebPubSubDataTypes.Text:
                request.DataType = DataType.Text;
                if (data is null || dataIsBinary || !Utf8.IsValid(data.Value.Span))
                {
                    error = "Text data must be a str.";
                    return ParseStatus.Invalid;
                }

                break;
            case WebPubSubDataTypes.Binary:
                request.DataType = DataType.Binary;
                if (data is null || !dataIsBinary)
                {
                    error = "Binary data must be a bin.";
                    return ParseStatus.Invalid;
                }

                break;
            default:
                error = $"Unsupported dataType '{dataTypeName}'; use {WebPubSubDataTypes.Json}, {WebPubSubDataTypes.Text} or {WebPubSubDataTypes.Binary}.";
                return ParseStatus.Invalid;
        }

        request.Data = data!.Value.ToArray();
        return ParseStatus.Ok;
    }

    /// <summary>Skips a value, refusing nesting deeper than <see cref="MaxDepth"/> (an unknown field is still untrusted).</summary>
    private static void SkipBounded(ref MessagePackReader reader, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new InsufficientExecutionStackException("The frame nests too deeply.");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                for (var n = reader.ReadArrayHeader(); n > 0; n--)
                {
                    SkipBounded(ref reader, depth + 1);
                }

                break;
            case MessagePackType.Map:
                for (var n = reader.ReadMapHeader(); n > 0; n--)
                {
                    SkipBounded(ref reader, depth + 1);
                    SkipBounded(ref reader, depth + 1);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }

    private static bool ReadBoolean(ref MessagePackReader reader, string name) =>
        !reader.TryReadNil() && (reader.NextMessagePackType == MessagePackType.Boolean
            ? reader.ReadBoolean()
            : throw new InvalidRequestException($"{name} must be a boolean."));

    private static string? ReadString(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        return reader.NextMessagePackType == MessagePackType.String
            ? reader.ReadString()
            : throw new InvalidRequestException($"Expected a string, found {reader.NextMessagePackType}.");
    }

    private static ulong? ReadUInt64(ref MessagePackReader reader, string name)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (reader.NextMessagePackType != MessagePackType.Integer)
        {
            throw new InvalidRequestException($"{name} must be an unsigned 64-bit integer.");
        }

        try
        {
            return reader.ReadUInt64();
        }
        catch (OverflowException)
        {
            throw new InvalidRequestException($"{name} must be an unsigned 64-bit integer.");
        }
    }

    private sealed class InvalidRequestException(string message) : Exception(message);
}
