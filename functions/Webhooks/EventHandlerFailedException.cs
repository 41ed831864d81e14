namespace BrokerChat.Functions.Webhooks;

/// <summary>
/// A hub's event handler answered an event with a status that cannot be passed on to the client: a 5xx, or any
/// status but 2xx to <c>connected</c> or <c>disconnected</c>. The worker tries the record again with backoff and sets
/// it aside on the dead-letter topic when its tries run out. The message names the hub, the handler's index and the
/// status, never the URL.
/// </summary>
public sealed class EventHandlerFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventHandlerFailedException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public EventHandlerFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public EventHandlerFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
