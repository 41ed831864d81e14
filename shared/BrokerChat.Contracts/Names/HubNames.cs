namespace BrokerChat.Contracts.Names;

/// <summary>Hub name rules (Web PubSub's <c>^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$</c>); hubs compare case-insensitively.</summary>
public static class HubNames
{
    /// <summary>Whether <paramref name="hub"/> is a valid hub name.</summary>
    public static bool IsValid(string? hub)
    {
        if (string.IsNullOrEmpty(hub) || hub.Length > 128 || !char.IsAsciiLetter(hub[0]))
        {
            return false;
        }

        foreach (var c in hub.AsSpan(1))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '`' or ',' or '.' or '[' or ']'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The canonical (lower-case) form used in keys and indexes.</summary>
    public static string Normalize(string hub) => hub.ToLowerInvariant();
}
