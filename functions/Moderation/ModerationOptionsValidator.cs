using System.ComponentModel.DataAnnotations;
using BrokerChat.Contracts.Names;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Moderation;

/// <summary>
/// Validates <see cref="ModerationOptions"/> at startup, the defaults and every hub's overrides: the data annotations,
/// hub names, blocked words that are single words, domains that are domains, and an allow list when links are
/// allow-listed.
/// </summary>
internal sealed class ModerationOptionsValidator : IValidateOptions<ModerationOptions>
{
    /// <summary>The most blocked words one hub (or the defaults) may list.</summary>
    public const int MaxBlockedWords = 10_000;

    /// <summary>The longest blocked word, in characters.</summary>
    public const int MaxBlockedWordLength = 100;

    public ValidateOptionsResult Validate(string? name, ModerationOptions options)
    {
        var failures = new List<string>();
        Check(ModerationOptions.SectionName, options, options, failures);
        foreach (var (hub, hubOptions) in options.Hubs)
        {
            var section = $"{ModerationOptions.HubsSectionName}:{hub}";
            if (!HubNames.IsValid(hub))
            {
                failures.Add($"{section}: '{hub}' is not a valid hub name.");
            }

            if (hubOptions is null)
            {
                continue;
            }

            Check(section, hubOptions, options, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string section, HubModerationOptions options, ModerationOptions defaults, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{section}: {r.ErrorMessage}"));
        }

        if (options.Links is { } links && !Enum.IsDefined(links))
        {
            failures.Add($"{section}:Links must be Allow, Block or AllowListed.");
        }

        var words = options.BlockedWords ?? [];
        if (words.Length > MaxBlockedWords)
        {
            failures.Add($"{section}:BlockedWords lists {words.Length} words; at most {MaxBlockedWords} are allowed.");
        }

        foreach (var word in words)
        {
            if (word is null || word.Length > MaxBlockedWordLength || !Words.IsSingleWord(word))
            {
                failures.Add($"{section}:BlockedWords: '{word}' is not a single word of at most {MaxBlockedWordLength} letters, digits, marks or underscores.");
            }
        }

        foreach (var domain in options.AllowedLinkDomains ?? [])
        {
            if (LinkScanner.NormalizeDomain(domain) is null)
            {
                failures.Add($"{section}:AllowedLinkDomains: '{domain}' is not a domain name.");
            }
        }

        var effectiveLinks = options.Links ?? defaults.Links;
        var effectiveDomains = options.AllowedLinkDomains ?? defaults.AllowedLinkDomains ?? [];
        if (effectiveLinks == LinkPolicy.AllowListed && effectiveDomains.Length == 0)
        {
            failures.Add($"{section}:Links is AllowListed but no AllowedLinkDomains apply; use Block to forbid every link.");
        }
    }
}
