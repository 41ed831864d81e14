namespace BrokerChat.Contracts.Names;

/// <summary>
/// The ids an edit or a delete may name: 1 to 256 characters. Group messages get theirs from the functions
/// (<c>{partition}-{offset}</c> of the request), so anything longer names no message.
/// </summary>
public static class MessageIds
{
    /// <summary>The longest message id, in UTF-16 characters.</summary>
    public const int MaxLength = 256;

    /// <summary>What a refusal of an invalid message id says.</summary>
    public const string Rule = "A change needs the messageId (1 to 256 characters) of the message it changes.";

    /// <summary>Whether <paramref name="id"/> can be a group message's id.</summary>
    public static bool IsValid(string? id) => id is { Length: > 0 and <= MaxLength };
}
