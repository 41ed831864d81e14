namespace BrokerChat.Contracts.Messages;

/// <summary>The <c>error.name</c> values BrokerChat puts in ack errors (the Web PubSub names where one exists).</summary>
public static class AckErrorNames
{
    /// <summary>The sender lacks the role the request needs.</summary>
    public const string Forbidden = "Forbidden";

    /// <summary>The request was malformed or broke a rule (size, data type, group name).</summary>
    public const string BadRequest = "BadRequest";

    /// <summary>A transient failure inside BrokerChat; the client may retry.</summary>
    public const string InternalServerError = "InternalServerError";

    /// <summary>No outcome arrived in time; the request may or may not have been delivered.</summary>
    public const string Timeout = "Timeout";

    /// <summary>The sender sends faster than its limit allows; it may retry after slowing down.</summary>
    public const string TooManyRequests = "TooManyRequests";

    /// <summary>The ackId was already processed on this connection.</summary>
    public const string Duplicate = "Duplicate";

    /// <summary>Nothing answers the request: an invocation of an event no handler serves.</summary>
    public const string NotFound = "NotFound";

    /// <summary>
    /// The hub's event handler (webhook) refused the event: it answered an error status, which Azure Web PubSub reports
    /// under this name too.
    /// </summary>
    public const string InvocationFailed = "InvocationFailed";
}
