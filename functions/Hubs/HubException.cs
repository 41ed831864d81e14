using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// Thrown by a handler to refuse a request with an error the caller is told (an ack error, an invocation's error or,
/// from <c>connect</c>, a refusal): it is not retried, unlike any other exception, which is tried again and finally set
/// aside on the dead-letter topic with an <c>InternalServerError</c> for the caller.
/// </summary>
public sealed class HubException : Exception
{
    /// <summary>Refuses with <paramref name="name"/> (an <see cref="AckErrorNames"/> value) and <paramref name="message"/>.</summary>
    public HubException(string name, string message)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Refuses with <c>BadRequest</c>.</summary>
    public HubException(string message)
        : this(AckErrorNames.BadRequest, message)
    {
    }

    /// <summary>Creates one for a malformed request.</summary>
    public HubException()
        : this(AckErrorNames.BadRequest, "The request was refused.")
    {
    }

    /// <summary>Creates one with an inner exception.</summary>
    public HubException(string message, Exception innerException)
        : base(message, innerException)
    {
        Name = AckErrorNames.BadRequest;
    }

    /// <summary>The error's name, as the caller sees it.</summary>
    public string Name { get; }

    /// <summary>A <c>BadRequest</c> refusal.</summary>
    public static HubException BadRequest(string message) => new(AckErrorNames.BadRequest, message);

    /// <summary>A <c>Forbidden</c> refusal.</summary>
    public static HubException Forbidden(string message) => new(AckErrorNames.Forbidden, message);
}
