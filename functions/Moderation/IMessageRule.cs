using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// A moderation rule the functions run on every <c>sendToGroup</c> and <c>event</c> request that passed the
/// built-in checks (size, data type, names, permissions). Applications add their own by registering them in DI
/// (<c>services.AddSingleton&lt;IMessageRule, MyRule&gt;()</c>); they run after the built-in rules, in registration order.
/// </summary>
/// <remarks>
/// A rule is called concurrently for requests of different rooms, so it must be thread-safe, and it should do work
/// bounded by the payload's size: it runs on the path of every message. A rejected request with an ackId gets an
/// ack error whose <c>name</c> is <see cref="RuleRejection.ErrorName"/> and whose <c>message</c> reads
/// <c>Rejected by rule '&lt;Name&gt;': &lt;Reason&gt;</c>; one without an ackId is dropped silently (and counted).
/// </remarks>
public interface IMessageRule
{
    /// <summary>The rule's name in ack errors and metrics: 1 to 64 of <c>a-z</c>, <c>0-9</c> and <c>-</c>, starting with a letter.</summary>
    string Name { get; }

    /// <summary>Returns null when the request may go on, or why it may not.</summary>
    RuleRejection? Check(in MessageRuleContext context);
}

/// <summary>What a rule sees: the request and the moderation policy of its hub.</summary>
/// <param name="Frame">The request (already valid: known kind, valid names, payload matching its data type).</param>
/// <param name="Policy">The settings in force for the request's hub.</param>
public readonly record struct MessageRuleContext(InboundFrame Frame, HubPolicy Policy);

/// <summary>
/// Why a rule rejected a request. The ack error name is always a Web PubSub one: <c>BadRequest</c> for a request
/// that is malformed for this hub (too large), <c>Forbidden</c> for one the hub's policy does not allow,
/// <c>TooManyRequests</c> for a sender over its rate (the name the connector's own rate limit uses).
/// </summary>
public readonly struct RuleRejection
{
    private RuleRejection(string errorName, string reason)
    {
        ErrorName = errorName;
        Reason = reason;
    }

    /// <summary>The ack error's <c>name</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The reason, one sentence for the sender; the ack message prefixes it with the rule's name.</summary>
    public string Reason { get; }

    /// <summary>The hub's policy does not allow the request.</summary>
    public static RuleRejection Forbidden(string reason) => new(AckErrorNames.Forbidden, reason);

    /// <summary>The sender is over its rate; the same request may pass later.</summary>
    public static RuleRejection TooManyRequests(string reason) => new(AckErrorNames.TooManyRequests, reason);

    /// <summary>The request does not fit the hub's limits.</summary>
    public static RuleRejection BadRequest(string reason) => new(AckErrorNames.BadRequest, reason);
}
