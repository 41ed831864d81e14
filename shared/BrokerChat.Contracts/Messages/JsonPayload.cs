using System.Text.Json;

namespace BrokerChat.Contracts.Messages;

/// <summary>The rule for <see cref="DataType.Json"/> payloads, shared by everyone who checks one.</summary>
public static class JsonPayload
{
    /// <summary>The deepest nesting a JSON payload may have.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions s_options = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Whether <paramref name="payload"/> is exactly one JSON value (UTF-8, no comments, at most <see cref="MaxDepth"/> deep).</summary>
    public static bool IsSingleValue(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, s_options);
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
