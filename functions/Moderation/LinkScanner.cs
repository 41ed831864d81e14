using System.Buffers;
using System.Collections.Frozen;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Finds links in text. A link is, within a run of text between spaces and brackets or quotes:
/// <list type="bullet">
/// <item><c>scheme://host…</c> for any scheme (<c>http</c>, <c>https</c>, <c>ftp</c>…), wherever it starts in the run;</item>
/// <item><c>www.host…</c>;</item>
/// <item>a bare domain such as <c>example.com</c> or <c>bit.ly/x</c>: dot-separated labels ending in a well-known
/// top-level domain (<see cref="TopLevelDomains"/>) or an IDN one (<c>xn--…</c>), so "e.g.", "file.txt" and "v1.2"
/// are not links. A run with an <c>@</c> and no scheme is an e-mail address, not a link.</item>
/// </list>
/// The host of a link is its domain, lower-cased, without user info, port or trailing dot. Work is linear in the
/// text's length.
/// </summary>
internal static class LinkScanner
{
    /// <summary>Top-level domains that make a bare <c>name.tld</c> a link.</summary>
    public static FrozenSet<string> TopLevelDomains { get; } = new[]
    {
        // Generic ones common in links and spam; words that often follow a dot in code or prose ("user.name",
        // "user.id", "script.sh", "hello.world") are left out on purpose.
        "com", "net", "org", "edu", "gov", "mil", "info", "biz", "mobi",
        "io", "ai", "app", "dev", "co", "me", "tv", "gg", "ly", "cc", "ws", "fm", "so", "tk", "ga", "cf",
        "xyz", "online", "site", "website", "top", "club", "shop", "store", "link", "tech", "news", "blog",
        "cloud", "click", "icu", "vip", "win", "bid", "loan", "porn", "sex",
        // Country codes of the largest web populations.
        "uk", "de", "fr", "nl", "be", "ch", "at", "es", "pt", "it", "pl", "cz", "se", "dk", "fi", "ie", "gr", "hu",
        "ro", "ua", "ru", "by", "kz", "tr", "il", "ir", "in", "pk", "cn", "hk", "tw", "jp", "kr", "sg", "my",
        "th", "vn", "ph", "au", "nz", "ca", "us", "mx", "br", "ar", "cl", "za", "ng", "eu", "su",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private static readonly SearchValues<char> s_runSeparators = SearchValues.Create(" \t\r\n\f\v\"'`<>()[]{}|\\^,;\u00a0\u2028\u2029\u3000");
    private static readonly SearchValues<char> s_authorityEnd = SearchValues.Create("/?#");
    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> s_tlds = TopLevelDomains.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The host of the first link in <paramref name="text"/> that <paramref name="policy"/> does not allow, or null.</summary>
    public static string? FirstDisallowed(ReadOnlySpan<char> text, HubPolicy policy)
    {
        Span<char> lower = stackalloc char[256];
        var rest = text;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOfAny(s_runSeparators);
            var run = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (run.IsEmpty || !TryFindHost(run, out var host))
            {
                continue;
            }

            // Hosts are compared lower-case; one too long for a real domain is never on an allow list.
            var hostLower = host.Length <= lower.Length ? lower[..host.ToLowerInvariant(lower)] : [];
            if (hostLower.IsEmpty || !policy.AllowsLinkTo(hostLower))
            {
                return hostLower.IsEmpty ? host.ToString().ToLowerInvariant() : hostLower.ToString();
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="run"/> (text with no separators) holds a link, and its host.</summary>
    internal static bool TryFindHost(ReadOnlySpan<char> run, out ReadOnlySpan<char> host)
    {
        host = default;
        var schemeEnd = run.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0 && char.IsAsciiLetterOrDigit(run[schemeEnd - 1]))
        {
            host = HostOf(run[(schemeEnd + 3)..], withUserInfo: true);
            return true;
        }

        var trimmed = Trim(run);
        if (trimmed.StartsWith("www.", StringComparison.OrdinalIgnoreCase) && trimmed.Length > 4)
        {
            host = HostOf(trimmed, withUserInfo: false);
            return true;
        }

        if (trimmed.Contains('@'))
        {
            return false; // an e-mail address
        }

        var candidate = HostOf(trimmed, withUserInfo: false);
        if (!IsDomain(candidate, out var topLevel) || !(s_tlds.Contains(topLevel) || topLevel.StartsWith("xn--", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        host = candidate;
        return true;
    }

    /// <summary>
    /// A configured domain in the form hosts are compared in (lower-case, no leading <c>*.</c> or dot, no trailing
    /// dot), or null when it is not a domain.
    /// </summary>
    public static string? NormalizeDomain(string? domain)
    {
        var text = (domain ?? "").Trim();
        if (text.StartsWith("*.", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('.').ToLowerInvariant();
        return IsDomain(text, out _) || (text.Length > 0 && IsLabel(text)) ? text : null;
    }

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> run) =>
        run.TrimStart("*_~.:!?").TrimEnd(".,:;!?*_~");

    private static ReadOnlySpan<char> HostOf(ReadOnlySpan<char> text, bool withUserInfo)
    {
        var authorityEnd = text.IndexOfAny(s_authorityEnd);
        var authority = authorityEnd < 0 ? text : text[..authorityEnd];
        if (withUserInfo && authority.LastIndexOf('@') is var at and >= 0)
        {
            authority = authority[(at + 1)..];
        }

        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close < 0 ? authority[1..] : authority[1..close];
        }

        var colon = authority.IndexOf(':');
        return (colon < 0 ? authority : authority[..colon]).TrimEnd('.');
    }

    private static bool IsDomain(ReadOnlySpan<char> text, out ReadOnlySpan<char> topLevel)
    {
        topLevel = default;
        var lastDot = text.LastIndexOf('.');
        if (lastDot <= 0 || text.Length > 253)
        {
            return false;
        }

        foreach (var range in text.Split('.'))
        {
            if (!IsLabel(text[range]))
            {
                return false;
            }
        }

        topLevel = text[(lastDot + 1)..];
        return true;
    }

    private static bool IsLabel(ReadOnlySpan<char> label)
    {
        if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        foreach (var c in label)
        {
            if (!(char.IsLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
