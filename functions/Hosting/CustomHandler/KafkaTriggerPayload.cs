using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>
/// Reads the records of a Kafka trigger invocation as the Azure Functions host posts it to a custom handler:
/// <c>{"Data":{"&lt;binding&gt;":…},"Metadata":{…}}</c>. Every form the host uses is accepted:
/// <list type="bullet">
/// <item><c>dataType: binary</c>, one record: <c>Data.&lt;binding&gt;</c> is the base64 of the value; partition,
/// offset and key come from <c>Metadata.Partition</c>, <c>Metadata.Offset</c>, <c>Metadata.Key</c>.</item>
/// <item><c>dataType: binary</c>, <c>cardinality: many</c>: an array of base64 values (or a JSON string holding
/// one), positions from <c>Metadata.PartitionArray</c>, <c>OffsetArray</c>, <c>KeyArray</c>.</item>
/// <item><c>dataType: string</c> (or unset): a JSON string holding a JSON string holding the event object
/// <c>{"Offset","Partition","Topic","Timestamp","Value","Key","Headers",…}</c>, or with <c>cardinality: many</c>
/// an array of such strings.</item>
/// </list>
/// A JSON string whose text starts with <c>"</c>, <c>{</c> or <c>[</c> is decoded again (a few times at most);
/// metadata scalars may be numbers, strings (<c>"3"</c>) or JSON-encoded strings (<c>"\"3\""</c>). Each JSON text is
/// read at most <see cref="MaxDepth"/> deep.
/// </summary>
internal sealed class KafkaTriggerPayload : IDisposable
{
    /// <summary>The deepest JSON any part of an invocation may have.</summary>
    public const int MaxDepth = 16;

    private const int MaxDecodings = 4;
    private static readonly JsonDocumentOptions s_json = new() { MaxDepth = MaxDepth };
    private readonly List<JsonDocument> _documents = [];

    // Metadata arrays decoded once per invocation, not once per record (a batch's arrays are as long as the batch).
    private readonly Dictionary<string, JsonElement?> _metadataArrays = [];

    private KafkaTriggerPayload()
    {
    }

    /// <summary>
    /// The records of the invocation <paramref name="body"/> for trigger binding <paramref name="binding"/>; throws
    /// <see cref="TriggerPayloadException"/> when it is not a Kafka trigger invocation for that binding.
    /// </summary>
    public static IReadOnlyList<TriggerRecord> Read(JsonElement body, string binding)
    {
        using var payload = new KafkaTriggerPayload();
        try
        {
            return payload.ReadRecords(body, binding);
        }
        catch (InvalidOperationException ex)
        {
            // JSON that parses but holds a string that is not Unicode: bytes that are not UTF-8, or an unpaired \ud800 escape.
            throw new TriggerPayloadException("The invocation holds a string that is not valid Unicode: " + ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var document in _documents)
        {
            document.Dispose();
        }
    }

    private List<TriggerRecord> ReadRecords(JsonElement body, string binding)
    {
        if (body.ValueKind != JsonValueKind.Object || Property(body, "Data") is not { ValueKind: JsonValueKind.Object } data)
        {
            throw new TriggerPayloadException("The invocation has no Data object.");
        }

        if (Property(data, binding) is not { } value)
        {
            throw new TriggerPayloadException($"The invocation's Data has no '{binding}': the function's trigger binding must be named '{binding}'.");
        }

        var metadata = Property(body, "Metadata") is { ValueKind: JsonValueKind.Object } m ? m : (JsonElement?)null;
        var content = Decode(value);
        switch (content.ValueKind)
        {
            case JsonValueKind.Object:
                return [FromEvent(content, metadata, index: null)];

            case JsonValueKind.String:
                return [FromBase64(content.GetString()!, metadata, index: null)];

            case JsonValueKind.Array:
                var records = new List<TriggerRecord>(content.GetArrayLength());
                var index = 0;
                foreach (var item in content.EnumerateArray())
                {
                    var decoded = Decode(item);
                    records.Add(decoded.ValueKind switch
                    {
                        JsonValueKind.Object => FromEvent(decoded, metadata, index),
                        JsonValueKind.String => FromBase64(decoded.GetString()!, metadata, index),
                        _ => Unreadable(metadata, index, $"Batch item {index} is {decoded.ValueKind}, neither an event object nor a base64 value."),
                    });
                    index++;
                }

                return records;

            default:
                return [Unreadable(metadata, null, $"Data.{binding} is {content.ValueKind}, neither an event object, a base64 value nor a batch.")];
        }
    }

    private TriggerRecord FromEvent(JsonElement item, JsonElement? metadata, int? index)
    {
        var partition = Int(Property(item, "Partition")) ?? Int(MetadataValue(metadata, "Partition", index));
        var offset = Long(Property(item, "Offset")) ?? Long(MetadataValue(metadata, "Offset", index));
        var key = Text(Property(item, "Key")) ?? Text(MetadataValue(metadata, "Key", index));
        var value = Property(item, "Value") switch
        {
            { ValueKind: JsonValueKind.String } text => Encoding.UTF8.GetBytes(text.GetString()!),
            { ValueKind: JsonValueKind.Object or JsonValueKind.Array } json => Encoding.UTF8.GetBytes(json.GetRawText()),
            _ => [],
        };
        return new TriggerRecord(value, partition, offset, key, AsText: true);
    }

    private TriggerRecord FromBase64(string base64, JsonElement? metadata, int? index)
    {
        var position = (Partition: Int(MetadataValue(metadata, "Partition", index)), Offset: Long(MetadataValue(metadata, "Offset", index)));
        var key = Text(MetadataValue(metadata, "Key", index));
        var bytes = new byte[base64.Length * 3 / 4];
        return Convert.TryFromBase64String(base64, bytes, out var written)
            ? new TriggerRecord(bytes.AsSpan(0, written).ToArray(), position.Partition, position.Offset, key)
            : new TriggerRecord(null, position.Partition, position.Offset, key, "The value is not base64, as dataType 'binary' delivers it.");
    }

    private TriggerRecord Unreadable(JsonElement? metadata, int? index, string problem) =>
        new(null, Int(MetadataValue(metadata, "Partition", index)), Long(MetadataValue(metadata, "Offset", index)), null, problem);

    /// <summary>A metadata entry: <c>Name</c> for one record, element <paramref name="index"/> of <c>NameArray</c> in a batch.</summary>
    private JsonElement? MetadataValue(JsonElement? metadata, string name, int? index)
    {
        if (metadata is not { } entries)
        {
            return null;
        }

        if (index is null)
        {
            return Property(entries, name);
        }

        if (!_metadataArrays.TryGetValue(name, out var items))
        {
            items = Property(entries, name + "Array") is { } array && Decode(array) is { ValueKind: JsonValueKind.Array } decoded ? decoded : null;
            _metadataArrays[name] = items;
        }

        return items is { } list && index < list.GetArrayLength() ? list[index.Value] : null;
    }

    /// <summary>Decodes a JSON string holding JSON text (as the host double-encodes values), a few levels at most.</summary>
    private JsonElement Decode(JsonElement element)
    {
        for (var i = 0; i < MaxDecodings && element.ValueKind == JsonValueKind.String; i++)
        {
            var text = element.GetString()!.AsSpan().TrimStart();
            if (text.IsEmpty || text[0] is not ('"' or '{' or '['))
            {
                break;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(element.GetString()!, s_json);
            }
            catch (JsonException)
            {
                break; // text that merely starts like JSON
            }

            _documents.Add(document);
            element = document.RootElement;
        }

        return element;
    }

    private string? Text(JsonElement? element) => element is { } value && Decode(value) is var decoded
        ? decoded.ValueKind switch
        {
            JsonValueKind.String => decoded.GetString(),
            JsonValueKind.Number => decoded.GetRawText(),
            _ => null,
        }
        : null;

    private long? Long(JsonElement? element) =>
        Text(element) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    private int? Int(JsonElement? element) => Long(element) is { } number and >= 0 and <= int.MaxValue ? (int)number : null;

    /// <summary>A property by name, matched exactly first and then ignoring case.</summary>
    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (element.TryGetProperty(name, out var exact))
        {
            return exact;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
