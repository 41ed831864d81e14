namespace BrokerChat.Client;

/// <summary>
/// An invocation failed: the server answered it with <c>success: false</c> (its error's name and message are here), or
/// the connection it was sent on was lost, or the client stopped, before the response arrived.
/// </summary>
public sealed class BrokerChatInvocationException : Exception
{
    /// <summary>Creates the exception with a message only.</summary>
    public BrokerChatInvocationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BrokerChatInvocationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public BrokerChatInvocationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed invocation.</summary>
    /// <param name="invocationId">The invocation's id.</param>
    /// <param name="errorName">The response error's name (<c>NotFound</c>, <c>TooManyRequests</c>, …), or null when no response arrived.</param>
    /// <param name="message">The response error's message, or why the invocation failed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BrokerChatInvocationException(string? invocationId, string? errorName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        InvocationId = invocationId;
        ErrorName = errorName;
    }

    /// <summary>The invocation's id.</summary>
    public string? InvocationId { get; }

    /// <summary>The response error's name, or null when the invocation failed without a response.</summary>
    public string? ErrorName { get; }
}
