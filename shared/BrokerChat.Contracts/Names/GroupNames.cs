namespace BrokerChat.Contracts.Names;

/// <summary>Group (room) name rules: 1 to 1,024 characters, not only whitespace, no control characters. Case-sensitive.</summary>
public static class GroupNames
{
    /// <summary>The longest group name, in UTF-16 characters.</summary>
    public const int MaxLength = 1024;

    /// <summary>Whether <paramref name="group"/> is a valid group name.</summary>
    public static bool IsValid(string? group)
    {
        if (string.IsNullOrEmpty(group) || group.Length > MaxLength || string.IsNullOrWhiteSpace(group))
        {
            return false;
        }

        foreach (var c in group)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
