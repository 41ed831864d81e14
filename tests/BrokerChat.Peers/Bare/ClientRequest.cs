using System.Text.Json;

namespace BrokerChat.Peers.Bare;

/// <summary>What a client frame asks for.</summary>
internal enum RequestType
{
    Unknown,
    JoinGroup,
    LeaveGroup,
    SendToGroup,
    Ping,
}

/// <summary>
/// One client frame of the Web PubSub JSON protocol, read with <see cref="Utf8JsonReader"/>. The data is kept as the
/// range of its raw JSON in the frame, so fan-out copies it without parsing it again.
/// </summary>
internal readonly record struct ClientRequest(RequestType Type, string? Group, ulong? AckId, bool NoEcho, string DataType, Range Data)
{
    /// <summary>The data types the protocol allows, as they are written back.</summary>
    private static readonly string[] DataTypes = ["json", "text", "binary", "protobuf"];

    /// <summary>Reads a frame; false when it is not a JSON object or a known field has the wrong JSON type.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out ClientRequest request)
    {
        request = default;
        try
        {
            return TryRead(json, out request);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryRead(ReadOnlySpan<byte> json, out ClientRequest request)
    {
        request = default;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var type = RequestType.Unknown;
        string? group = null;
        ulong? ackId = null;
        var noEcho = false;
        var dataType = DataTypes[0];
        var data = default(Range);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("type"u8) ? Field.Type
                : reader.ValueTextEquals("group"u8) ? Field.Group
                : reader.ValueTextEquals("data"u8) ? Field.Data
                : reader.ValueTextEquals("dataType"u8) ? Field.DataType
                : reader.ValueTextEquals("ackId"u8) ? Field.AckId
                : reader.ValueTextEquals("noEcho"u8) ? Field.NoEcho
                : Field.Other;
            reader.Read();
            switch (field)
            {
                case Field.Type when reader.TokenType == JsonTokenType.String:
                    type = reader.ValueTextEquals("sendToGroup"u8) ? RequestType.SendToGroup
                        : reader.ValueTextEquals("joinGroup"u8) ? RequestType.JoinGroup
                        : reader.ValueTextEquals("leaveGroup"u8) ? RequestType.LeaveGroup
                        : reader.ValueTextEquals("ping"u8) ? RequestType.Ping
                        : RequestType.Unknown;
                    break;
                case Field.Group when reader.TokenType == JsonTokenType.String:
                    group = reader.GetString();
                    break;
                case Field.Data:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    data = start..(int)reader.BytesConsumed;
                    break;
                case Field.DataType when reader.TokenType == JsonTokenType.String && FindDataType(ref reader) is { } known:
                    dataType = known;
                    break;
                case Field.AckId when reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var id):
                    ackId = id;
                    break;
                case Field.NoEcho when reader.TokenType is JsonTokenType.True or JsonTokenType.False:
                    noEcho = reader.GetBoolean();
                    break;
                case Field.Other:
                    reader.Skip();
                    break;
                default:
                    return false; // a known field with a value of the wrong kind
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        // Anything after the object makes the reader throw: one frame holds one request.
        while (reader.Read())
        {
        }

        request = new ClientRequest(type, group, ackId, noEcho, dataType, data);
        return true;
    }

    private enum Field
    {
        Other,
        Type,
        Group,
        Data,
        DataType,
        AckId,
        NoEcho,
    }

    private static string? FindDataType(ref Utf8JsonReader reader)
    {
        foreach (var known in DataTypes)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }

        return null;
    }
}
