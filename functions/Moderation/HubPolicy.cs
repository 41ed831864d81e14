using System.Collections.Frozen;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// The moderation settings in force for one hub: its <c>Functions:Hubs:&lt;hub&gt;</c> overrides on top of the
/// <c>Functions:Moderation</c> defaults, normalized once at startup.
/// </summary>
public sealed class HubPolicy
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _blockedWords;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _allowedDomains;

    internal HubPolicy(string? hub, HubModerationOptions defaults, HubModerationOptions? hubOptions)
    {
        Hub = hub;
        MaxPayloadBytes = hubOptions?.MaxPayloadBytes ?? defaults.MaxPayloadBytes;
        var words = new HashSet<string>(hubOptions?.BlockedWords ?? defaults.BlockedWords ?? [], StringComparer.OrdinalIgnoreCase);
        BlockedWords = words;
        _blockedWords = words.GetAlternateLookup<ReadOnlySpan<char>>();
        LongestBlockedWord = words.Count == 0 ? 0 : words.Max(w => w.Length);
        Links = hubOptions?.Links ?? defaults.Links ?? LinkPolicy.Allow;
        var domains = (hubOptions?.AllowedLinkDomains ?? defaults.AllowedLinkDomains ?? [])
            .Select(LinkScanner.NormalizeDomain)
            .OfType<string>()
            .ToFrozenSet(StringComparer.Ordinal);
        AllowedLinkDomains = domains;
        _allowedDomains = domains.GetAlternateLookup<ReadOnlySpan<char>>();
        MessagesPerSecond = hubOptions?.MessagesPerSecond ?? defaults.MessagesPerSecond ?? ModerationOptions.DefaultMessagesPerSecond;
        MessageBurst = hubOptions?.MessageBurst ?? defaults.MessageBurst ?? ModerationOptions.DefaultMessageBurst;
    }

    /// <summary>The hub these settings were configured for, or null for the defaults every other hub uses.</summary>
    public string? Hub { get; }

    /// <summary>The hub's own payload limit in bytes, or null when only <c>Functions:MaxMessageBytes</c> applies.</summary>
    public int? MaxPayloadBytes { get; }

    /// <summary>The blocked words (compared ignoring case).</summary>
    public IReadOnlySet<string> BlockedWords { get; }

    /// <summary>What links are allowed.</summary>
    public LinkPolicy Links { get; }

    /// <summary>Domains (lower-case, no trailing dot) links may point to under <see cref="LinkPolicy.AllowListed"/>.</summary>
    public IReadOnlySet<string> AllowedLinkDomains { get; }

    /// <summary>Sustained requests per second per sender and room; 0 when the rate limit is off.</summary>
    public double MessagesPerSecond { get; }

    /// <summary>Burst per sender and room.</summary>
    public int MessageBurst { get; }

    internal int LongestBlockedWord { get; }

    internal bool IsBlocked(ReadOnlySpan<char> word) => word.Length <= LongestBlockedWord && _blockedWords.Contains(word);

    /// <summary>Whether a link to <paramref name="host"/> (lower-case) is allowed.</summary>
    internal bool AllowsLinkTo(ReadOnlySpan<char> host)
    {
        if (Links == LinkPolicy.Allow)
        {
            return true;
        }

        if (Links == LinkPolicy.Block || host.IsEmpty)
        {
            return false;
        }

        // The host itself, then each parent domain: a.b.example.com, b.example.com, example.com, com.
        var rest = host;
        while (true)
        {
            if (_allowedDomains.Contains(rest))
            {
                return true;
            }

            var dot = rest.IndexOf('.');
            if (dot < 0)
            {
                return false;
            }

            rest = rest[(dot + 1)..];
        }
    }
}
