using System.Buffers;
using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// The human-readable text of a payload, for rules that look at words: a text payload is one piece; a JSON payload
/// gives the value of each of its strings (not property names, numbers or structure); a binary payload gives none.
/// </summary>
/// <remarks>
/// Work is linear in the payload's size, which the functions already bounded, and JSON is read no deeper than
/// <see cref="JsonPayload.MaxDepth"/> (the payload was checked against that when it was validated). Text is decoded
/// into one pooled buffer, so a request costs no allocation proportional to its size.
/// </remarks>
internal static class PayloadText
{
    private static readonly JsonReaderOptions s_json = new() { MaxDepth = JsonPayload.MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Examines one piece of text; returns a finding to stop, or null to go on.</summary>
    public delegate string? Finder<TState>(ReadOnlySpan<char> text, TState state);

    /// <summary>Runs <paramref name="finder"/> on each piece of text of the payload until one returns a finding.</summary>
    public static string? FindFirst<TState>(InboundFrame frame, TState state, Finder<TState> finder)
    {
        var payload = frame.Payload;
        if (payload.Length == 0 || frame.DataType == DataType.Binary)
        {
            return null;
        }

        var buffer = ArrayPool<char>.Shared.Rent(payload.Length);
        try
        {
            return frame.DataType == DataType.Text
                ? finder(buffer.AsSpan(0, Encoding.UTF8.GetChars(payload, buffer)), state)
                : FindInJson(payload, buffer, state, finder);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static string? FindInJson<TState>(byte[] payload, char[] buffer, TState state, Finder<TState> finder)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, s_json);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }

                // An unescaped string never has more characters than its escaped UTF-8 form has bytes.
                var length = reader.CopyString(buffer);
                if (finder(buffer.AsSpan(0, length), state) is { } found)
                {
                    return found;
                }
            }
        }
        catch (JsonException)
        {
            // The payload was validated as JSON before any rule runs; nothing more to read.
        }

        return null;
    }
}
