using System.Globalization;

namespace BrokerChat.History;

/// <summary>
/// Page cursors as clients and the REST API see them: the decimal sequence number of a message in the store. One
/// place parses them, so every reader refuses the same malformed input with the same words.
/// </summary>
public static class HistoryCursor
{
    /// <summary>The cursor of a message.</summary>
    public static string Format(long sequence) => sequence.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a cursor; false (with why in <paramref name="error"/>) for anything but a positive decimal number.</summary>
    public static bool TryParse(string? text, out long sequence, out string? error)
    {
        error = null;
        if (text is { Length: > 0 and <= 19 } && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence > 0)
        {
            return true;
        }

        sequence = 0;
        error = "The cursor is not valid: it must be a value from an earlier page.";
        return false;
    }

    /// <summary>
    /// The page size asked for, or the default when none is; false for a limit below 1 or above
    /// <see cref="HistoryOptions.MaxPageSize"/>.
    /// </summary>
    public static bool TryLimit(int? requested, HistoryOptions options, out int limit, out string? error)
    {
        ArgumentNullException.ThrowIfNull(options);
        limit = requested ?? options.DefaultPageSize;
        error = limit < 1 || limit > options.MaxPageSize ? $"The limit must be between 1 and {options.MaxPageSize}." : null;
        return error is null;
    }
}
