namespace BrokerChat.Contracts.Names;

/// <summary>Custom event name rules: <c>^[a-z][a-z0-9_.-]{0,127}$</c>, compared case-insensitively.</summary>
public static class EventNames
{
    /// <summary>Whether <paramref name="name"/> is a valid event name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name.AsSpan(1))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
