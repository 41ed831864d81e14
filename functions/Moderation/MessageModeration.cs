using System.Collections.Frozen;
using System.Text.RegularExpressions;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Runs the moderation rules on a request: <c>rate-limit</c>, <c>size</c>, <c>blocked-words</c>, <c>links</c>, then the
/// application's own <see cref="IMessageRule"/>s, each with the settings of the request's hub. The first rejection
/// wins and becomes an ack error: <c>name</c> is the rule's Web PubSub name (<c>BadRequest</c>, <c>Forbidden</c> or <c>TooManyRequests</c>),
/// <c>message</c> is <c>Rejected by rule '&lt;rule&gt;': &lt;reason&gt;</c>.
/// </summary>
public sealed partial class MessageModeration
{
    private readonly IMessageRule[] _rules;
    private readonly HubPolicy _defaults;
    private readonly FrozenDictionary<string, HubPolicy> _hubs;
    private readonly SenderRateLimiter _limiter;
    private readonly ModerationMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly int _maxTrackedSenders;
    private long _forcedEvictionsLogged;

    /// <summary>Creates the rules from <paramref name="options"/> followed by <paramref name="applicationRules"/>.</summary>
    public MessageModeration(
        IOptions<ModerationOptions> options,
        IEnumerable<IMessageRule> applicationRules,
        TimeProvider timeProvider,
        ModerationMetrics? metrics = null,
        ILogger<MessageModeration>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _maxTrackedSenders = settings.MaxTrackedSenders;
        _limiter = new SenderRateLimiter(settings.MaxTrackedSenders, timeProvider);
        _defaults = new HubPolicy(null, settings, null);
        _hubs = settings.Hubs.ToFrozenDictionary(h => h.Key, h => new HubPolicy(h.Key, settings, h.Value), StringComparer.OrdinalIgnoreCase);
        _rules = [new RateLimitRule(_limiter), new SizeRule(), new BlockedWordsRule(), new LinksRule(), .. applicationRules];
        var duplicate = _rules.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (_rules.FirstOrDefault(r => !RuleName().IsMatch(r.Name ?? "")) is { } badName)
        {
            throw new InvalidOperationException($"The message rule {badName.GetType().Name} has an invalid name '{badName.Name}': use 1 to 64 of a-z, 0-9 and '-', starting with a letter.");
        }

        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two message rules are named '{duplicate.Key}'; rule names must be unique.");
        }

        _metrics = metrics;
        _metrics?.ObserveTrackedSenders(() => _limiter.Count);
        _logger = logger ?? NullLogger<MessageModeration>.Instance;
        ModerationLog.RulesLoaded(_logger, string.Join(", ", _rules.Select(r => r.Name)), string.Join(", ", _hubs.Keys.Order(StringComparer.Ordinal)));
    }

    /// <summary>The rules, in the order they run.</summary>
    public IReadOnlyList<IMessageRule> Rules => _rules;

    /// <summary>Senders whose rate is tracked right now.</summary>
    public int TrackedSenders => _limiter.Count;

    /// <summary>The settings in force for <paramref name="hub"/>.</summary>
    public HubPolicy PolicyFor(string hub) => _hubs.TryGetValue(hub, out var policy) ? policy : _defaults;

    /// <summary>The ack error message for a rejection by <paramref name="rule"/>.</summary>
    public static string Message(string rule, string reason) => $"Rejected by rule '{rule}': {reason}";

    /// <summary>Returns null when every rule lets the request through, or the first rule's rejection as an ack error.</summary>
    public Rejection? Check(InboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var context = new MessageRuleContext(frame, PolicyFor(frame.Hub));
        foreach (var rule in _rules)
        {
            if (rule.Check(context) is not { } rejection)
            {
                continue;
            }

            _metrics?.Rejected(rule.Name, frame.AckId is not null);
            ModerationLog.Rejected(_logger, frame.ConnectionId, frame.Hub, rule.Name, rejection.Reason);
            WarnOnceTheSenderCapIsReached();
            return new Rejection(rejection.ErrorName, Message(rule.Name, rejection.Reason));
        }

        WarnOnceTheSenderCapIsReached();
        return null;
    }

    private void WarnOnceTheSenderCapIsReached()
    {
        if (Volatile.Read(ref _forcedEvictionsLogged) == 0 && _limiter.ForcedEvictions > 0 && Interlocked.Exchange(ref _forcedEvictionsLogged, 1) == 0)
        {
            ModerationLog.SenderCapReached(_logger, _maxTrackedSenders);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$")]
    private static partial Regex RuleName();
}
