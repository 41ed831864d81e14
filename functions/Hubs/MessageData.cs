using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// A message's payload and how it is encoded (<see cref="DataType"/>: JSON, text or binary), as handlers receive it and
/// as they send it. Reading it as an object uses JSON with a depth limit of 64.
/// </summary>
public readonly struct MessageData : IEquatable<MessageData>
{
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web) { MaxDepth = 64 };

    private MessageData(DataType dataType, ReadOnlyMemory<byte> bytes)
    {
        DataType = dataType;
        Bytes = bytes;
    }

    /// <summary>How <see cref="Bytes"/> is encoded.</summary>
    public DataType DataType { get; }

    /// <summary>The payload: UTF-8 JSON, UTF-8 text or raw bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Text data.</summary>
    public static MessageData Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new MessageData(DataType.Text, Encoding.UTF8.GetBytes(text));
    }

    /// <summary>JSON data from its text, which must be one JSON value.</summary>
    public static MessageData Json(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetBytes(json);
        if (!JsonPayload.IsSingleValue(bytes))
        {
            throw new ArgumentException("The text is not a single JSON value.", nameof(json));
        }

        return new MessageData(DataType.Json, bytes);
    }

    /// <summary>JSON data: <paramref name="value"/> serialized with the web defaults (camelCase) or <paramref name="options"/>.</summary>
    public static MessageData FromObject<T>(T value, JsonSerializerOptions? options = null) =>
        new(DataType.Json, JsonSerializer.SerializeToUtf8Bytes(value, options ?? JsonSerializerOptions.Web));

    /// <summary>JSON data: <paramref name="value"/>, of <paramref name="type"/>, serialized with the web defaults.</summary>
    public static MessageData FromObject(object? value, Type type, JsonSerializerOptions? options = null) =>
        new(DataType.Json, JsonSerializer.SerializeToUtf8Bytes(value, type, options ?? JsonSerializerOptions.Web));

    /// <summary>Binary data.</summary>
    public static MessageData Binary(ReadOnlyMemory<byte> bytes) => new(DataType.Binary, bytes);

    /// <summary>Data of <paramref name="dataType"/> as it came.</summary>
    public static MessageData From(DataType dataType, ReadOnlyMemory<byte> bytes) => new(dataType, bytes);

    /// <summary>Reads JSON data as <typeparamref name="T"/>; throws <see cref="HubException"/> (BadRequest) when it is not JSON of that shape.</summary>
    public T? ToObject<T>(JsonSerializerOptions? options = null) => (T?)ToObject(typeof(T), options);

    /// <summary>Reads JSON data as <paramref name="type"/>; throws <see cref="HubException"/> (BadRequest) when it is not JSON of that shape.</summary>
    public object? ToObject(Type type, JsonSerializerOptions? options = null)
    {
        if (DataType != DataType.Json)
        {
            throw HubException.BadRequest($"The data is {DataType}, not JSON.");
        }

        try
        {
            return JsonSerializer.Deserialize(Bytes.Span, type, options ?? ReadOptions);
        }
        catch (JsonException ex)
        {
            throw HubException.BadRequest($"The data is not a {type.Name}: {ex.Message}");
        }
    }

    /// <summary>The payload's bytes, copied.</summary>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Text and JSON data as text; binary data as base64.</summary>
    public override string ToString() => DataType == DataType.Binary ? Convert.ToBase64String(Bytes.Span) : Encoding.UTF8.GetString(Bytes.Span);

    /// <inheritdoc />
    public bool Equals(MessageData other) => DataType == other.DataType && Bytes.Span.SequenceEqual(other.Bytes.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageData other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DataType, Bytes.Length);

    /// <summary>Whether two payloads have the same type and bytes.</summary>
    public static bool operator ==(MessageData left, MessageData right) => left.Equals(right);

    /// <summary>Whether two payloads differ.</summary>
    public static bool operator !=(MessageData left, MessageData right) => !left.Equals(right);
}
