namespace BrokerChat.Functions.Moderation;

/// <summary>The names of the built-in rules, as they appear in ack errors and metrics.</summary>
public static class MessageRuleNames
{
    /// <summary>Per-sender, per-room request rate (<c>MessagesPerSecond</c>, <c>MessageBurst</c>).</summary>
    public const string RateLimit = "rate-limit";

    /// <summary>The hub's payload limit (<c>MaxPayloadBytes</c>).</summary>
    public const string Size = "size";

    /// <summary>Blocked words (<c>BlockedWords</c>).</summary>
    public const string BlockedWords = "blocked-words";

    /// <summary>The link policy (<c>Links</c>, <c>AllowedLinkDomains</c>).</summary>
    public const string Links = "links";
}

/// <summary>Rejects a sender that exceeds its rate in a room; the bucket is kept by <see cref="SenderRateLimiter"/>.</summary>
internal sealed class RateLimitRule(SenderRateLimiter limiter) : IMessageRule
{
    public string Name => MessageRuleNames.RateLimit;

    public RuleRejection? Check(in MessageRuleContext context)
    {
        var policy = context.Policy;
        var frame = context.Frame;
        if (policy.MessagesPerSecond <= 0 || limiter.TryTake(frame.Hub, frame.Group, frame.UserId, frame.ConnectionId, policy.MessagesPerSecond, policy.MessageBurst))
        {
            return null;
        }

        return RuleRejection.TooManyRequests(
            $"More than {policy.MessagesPerSecond:0.###} messages per second (burst {policy.MessageBurst}) from this sender {(frame.Group is null ? "in this hub" : "to this group")}; slow down.");
    }
}

/// <summary>Rejects a payload larger than the hub's own limit.</summary>
internal sealed class SizeRule : IMessageRule
{
    public string Name => MessageRuleNames.Size;

    public RuleRejection? Check(in MessageRuleContext context) =>
        context.Policy.MaxPayloadBytes is { } limit && context.Frame.Payload.Length > limit
            ? RuleRejection.BadRequest($"The message of {context.Frame.Payload.Length} bytes exceeds this hub's limit of {limit} bytes.")
            : null;
}

/// <summary>Rejects text, or JSON string values, containing a blocked word.</summary>
internal sealed class BlockedWordsRule : IMessageRule
{
    public string Name => MessageRuleNames.BlockedWords;

    public RuleRejection? Check(in MessageRuleContext context) =>
        context.Policy.BlockedWords.Count > 0 && PayloadText.FindFirst(context.Frame, context.Policy, Words.FirstBlocked) is { } word
            ? RuleRejection.Forbidden($"The message contains the blocked word '{word}'.")
            : null;
}

/// <summary>Rejects text, or JSON string values, with a link the hub's policy does not allow.</summary>
internal sealed class LinksRule : IMessageRule
{
    public string Name => MessageRuleNames.Links;

    public RuleRejection? Check(in MessageRuleContext context)
    {
        var policy = context.Policy;
        if (policy.Links == LinkPolicy.Allow || PayloadText.FindFirst(context.Frame, policy, LinkScanner.FirstDisallowed) is not { } host)
        {
            return null;
        }

        return RuleRejection.Forbidden(policy.Links == LinkPolicy.Block
            ? $"Links are not allowed in this hub (found a link to '{Shorten(host)}')."
            : $"Links to '{Shorten(host)}' are not allowed in this hub.");
    }

    private static string Shorten(string host) => host.Length <= 100 ? host : host[..100] + "…";
}
