using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Functions.Moderation;

/// <summary>What the <c>links</c> rule does with links in a message.</summary>
public enum LinkPolicy
{
    /// <summary>Links are allowed anywhere (the rule is off).</summary>
    Allow = 0,

    /// <summary>Any link rejects the message.</summary>
    Block = 1,

    /// <summary>Only links to <see cref="HubModerationOptions.AllowedLinkDomains"/> (or their subdomains) are allowed.</summary>
    AllowListed = 2,
}

/// <summary>
/// One hub's moderation settings, bound from <c>Functions:Hubs:&lt;hub&gt;</c>. Every setting left out falls back to
/// the default in <c>Functions:Moderation</c> (<see cref="ModerationOptions"/>); a list given here replaces the
/// default list rather than adding to it.
/// </summary>
public class HubModerationOptions
{
    /// <summary>
    /// Largest payload a request to this hub may carry, in bytes (the <c>size</c> rule); it can only tighten
    /// <c>Functions:MaxMessageBytes</c>, which applies to every hub. The default is not set: no limit of the hub's own.
    /// </summary>
    [Range(1, 64 * 1024 * 1024)]
    public int? MaxPayloadBytes { get; set; }

    /// <summary>
    /// Words that reject a message containing them as a whole word, in any letter case, in text payloads and in
    /// the string values of JSON payloads (the <c>blocked-words</c> rule). Each is a single word of letters, digits,
    /// marks and underscores. The default is none.
    /// </summary>
    public string[]? BlockedWords { get; set; }

    /// <summary>
    /// What the <c>links</c> rule does with links (<c>http(s)://…</c> and other <c>scheme://…</c>, <c>www.…</c>, or a
    /// bare domain with a well-known top-level domain such as <c>example.com</c>). The default is <see cref="LinkPolicy.Allow"/>.
    /// </summary>
    public LinkPolicy? Links { get; set; }

    /// <summary>Domains links may point to when <see cref="Links"/> is <see cref="LinkPolicy.AllowListed"/>; each also allows its subdomains. The default is none.</summary>
    public string[]? AllowedLinkDomains { get; set; }

    /// <summary>
    /// Sustained requests per second one sender (its user id, or its connection when anonymous) may make to one room
    /// (the <c>rate-limit</c> rule); 0 turns the rule off. The default is 10.
    /// </summary>
    [Range(0, 1_000_000)]
    public double? MessagesPerSecond { get; set; }

    /// <summary>Requests one sender may make to one room in a burst before the sustained rate applies. The default is 20.</summary>
    [Range(1, 1_000_000)]
    public int? MessageBurst { get; set; }
}

/// <summary>
/// Moderation defaults for every hub, bound from <c>Functions:Moderation</c>, and the per-hub overrides from
/// <c>Functions:Hubs</c>. Every rule runs in the functions on each <c>sendToGroup</c> and <c>event</c> request, in
/// this order: <c>rate-limit</c>, <c>size</c>, <c>blocked-words</c>, <c>links</c>, then the application's own
/// <see cref="IMessageRule"/>s in registration order.
/// </summary>
/// <remarks>
/// The defaults: no size limit of the hubs' own, no blocked words, links allowed, 10 messages per second with a
/// burst of 20 per sender and room. In a hub's section, the default of every setting is the one here.
/// </remarks>
public sealed class ModerationOptions : HubModerationOptions
{
    /// <summary>Creates the options with their defaults.</summary>
    public ModerationOptions()
    {
        Links = LinkPolicy.Allow;
        MessagesPerSecond = DefaultMessagesPerSecond;
        MessageBurst = DefaultMessageBurst;
    }

    /// <summary>The configuration section of the defaults.</summary>
    public const string SectionName = "Functions:Moderation";

    /// <summary>The configuration section of the per-hub overrides.</summary>
    public const string HubsSectionName = "Functions:Hubs";

    /// <summary>The default sustained rate per sender and room.</summary>
    public const double DefaultMessagesPerSecond = 10;

    /// <summary>The default burst per sender and room.</summary>
    public const int DefaultMessageBurst = 20;

    /// <summary>
    /// Senders (hub, room and user, or connection when anonymous) whose rate this instance tracks at once. A sender
    /// idle long enough for its allowance to refill is forgotten first; at the cap the least recently seen one is
    /// (it starts afresh with a full burst). The default is 100,000 (about 170 bytes each).
    /// </summary>
    [Range(16, 10_000_000)]
    public int MaxTrackedSenders { get; set; } = 100_000;

    /// <summary>Per-hub overrides, by hub name (case-insensitive).</summary>
    public Dictionary<string, HubModerationOptions> Hubs { get; } = new(StringComparer.OrdinalIgnoreCase);
}
