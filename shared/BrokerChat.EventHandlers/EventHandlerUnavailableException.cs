namespace BrokerChat.EventHandlers;

/// <summary>Why an event could not be posted to its handler.</summary>
public enum EventHandlerUnavailableReason
{
    /// <summary>The handler could not be reached, or its answer could not be read (too large, cut off).</summary>
    Unreachable,

    /// <summary>The handler did not answer within <see cref="EventHandlerClientOptions.RequestTimeout"/>.</summary>
    TimedOut,

    /// <summary>The handler's abuse-protection check did not allow this process's origin.</summary>
    OriginRefused,

    /// <summary>Calls to the handler are held back after repeated failures (the circuit breaker is open).</summary>
    CircuitOpen,
}

/// <summary>
/// An event could not be posted to its handler: no answer, a timeout, the handler's abuse-protection check refused
/// this origin, or calls to it are held back after repeated failures (<see cref="Reason"/> says which). The message
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

    /// <summary>Creates the exception for <paramref name="reason"/>, with <paramref name="message"/> and its cause (or null).</summary>
    public EventHandlerUnavailableException(EventHandlerUnavailableReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the handler is unavailable.</summary>
    public EventHandlerUnavailableReason Reason { get; }
}
