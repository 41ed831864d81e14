using System.Buffers;
using System.Globalization;
using System.Text;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Word boundaries as regular expressions draw them with <c>\b</c>: a word is a run of letters, digits, marks and
/// connector punctuation (such as <c>_</c>), so "ass" is not a word of "class" or "ass_hat".
/// </summary>
internal static class Words
{
    /// <summary>Whether <paramref name="rune"/> belongs to a word.</summary>
    public static bool IsWordRune(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        // Letters (0-4), marks (5-7) and numbers (8-10) are contiguous in UnicodeCategory.
        return category <= UnicodeCategory.OtherNumber || category == UnicodeCategory.ConnectorPunctuation;
    }

    /// <summary>Whether <paramref name="text"/> is one whole word.</summary>
    public static bool IsSingleWord(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        foreach (var rune in text.EnumerateRunes())
        {
            if (!IsWordRune(rune))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first word of <paramref name="text"/> that <paramref name="policy"/> blocks, or null.</summary>
    public static string? FirstBlocked(ReadOnlySpan<char> text, HubPolicy policy)
    {
        var index = 0;
        while (index < text.Length)
        {
            // Skip to the next word, then take it whole.
            while (index < text.Length && !IsWordAt(text, index, out _))
            {
                index += RuneLength(text, index);
            }

            var start = index;
            while (index < text.Length && IsWordAt(text, index, out var length))
            {
                index += length;
            }

            if (index > start && policy.IsBlocked(text[start..index]))
            {
                return text[start..index].ToString();
            }
        }

        return null;
    }

    private static bool IsWordAt(ReadOnlySpan<char> text, int index, out int length)
    {
        var status = Rune.DecodeFromUtf16(text[index..], out var rune, out length);
        return status == OperationStatus.Done && IsWordRune(rune);
    }

    private static int RuneLength(ReadOnlySpan<char> text, int index)
    {
        Rune.DecodeFromUtf16(text[index..], out _, out var length);
        return Math.Max(1, length);
    }
}
