namespace BrokerChat.Client;

/// <summary>
/// A request failed: the server answered its ack with an error other than <c>Duplicate</c>, or the connection was
/// lost (and the request could not be resent) before the ack arrived.
/// </summary>
public sealed class SendMessageFailedException : Exception
{
    /// <summary>Creates the exception with a message only.</summary>
    public SendMessageFailedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SendMessageFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SendMessageFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed request.</summary>
    /// <param name="ackId">The request's ackId, if it had one.</param>
    /// <param name="errorName">The ack error's name (<c>Forbidden</c>, <c>BadRequest</c>, …), or null when no ack arrived.</param>
    /// <param name="message">The ack error's message, or why the request failed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SendMessageFailedException(ulong? ackId, string? errorName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        AckId = ackId;
        ErrorName = errorName;
    }

    /// <summary>The request's ackId, or null for a fire-and-forget send.</summary>
    public ulong? AckId { get; }

    /// <summary>The ack error's name, or null when the request failed without an ack.</summary>
    public string? ErrorName { get; }
}
