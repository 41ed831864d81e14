namespace BrokerChat.EventHandlers;

/// <summary>
/// An event could not be posted to its handler: no answer, a timeout, every request slot taken, the handler's
/// abuse-protection check refused this origin, or calls to it are held back after repeated failures. The message
/// names the hub and the handler's index, never the URL.
/// </summary>
public sealed class EventHandlerUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventHandlerUnavailableException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public EventHandlerUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public EventHandlerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
