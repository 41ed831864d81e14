namespace BrokerChat.Client;

/// <summary>Rejoining a group on a fresh connection failed.</summary>
public sealed class BrokerChatRejoinGroupFailedEventArgs(string group, Exception exception) : EventArgs
{
    /// <summary>The group that was not rejoined.</summary>
    public string Group { get; } = group;

    /// <summary>Why: a <see cref="SendMessageFailedException"/> in most cases.</summary>
    public Exception Exception { get; } = exception;
}
