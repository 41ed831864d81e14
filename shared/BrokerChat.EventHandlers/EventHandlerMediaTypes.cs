using BrokerChat.Contracts.Messages;

namespace BrokerChat.EventHandlers;

/// <summary>The media types of event bodies and of handlers' answers, and the data type each one maps to.</summary>
public static class EventHandlerMediaTypes
{
    /// <summary>A JSON body (<c>dataType</c> <c>json</c>).</summary>
    public const string Json = "application/json";

    /// <summary>A text body (<c>dataType</c> <c>text</c>), UTF-8.</summary>
    public const string Text = "text/plain";

    /// <summary>A binary body (<c>dataType</c> <c>binary</c>).</summary>
    public const string Binary = "application/octet-stream";

    /// <summary>
    /// The data type of an answer with media type <paramref name="mediaType"/> (parameters ignored): JSON and text by
    /// their names, anything else binary, as Azure does.
    /// </summary>
    public static DataType DataTypeOf(string? mediaType)
    {
        var bare = mediaType is null ? "" : mediaType.Split(';', 2)[0].Trim();
        return bare.Equals(Json, StringComparison.OrdinalIgnoreCase) ? DataType.Json
            : bare.Equals(Text, StringComparison.OrdinalIgnoreCase) ? DataType.Text
            : DataType.Binary;
    }
}
