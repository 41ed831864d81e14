using System.Text.RegularExpressions;

namespace BrokerChat.Tools.Tests.Infra;

/// <summary>
/// docs/configuration.md lists every key of every options class with its default, and nothing else: checked against
/// the classes by reflection, so the reference cannot drift from the code. The README stays a short front page that
/// points to the reference and the other pages under docs/, and every relative link between them resolves.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Reference = "docs/configuration.md";
    private const int ReadmeMaxLines = 200;
    private static readonly string[] CheckedLinkEndings = [".md", ".png", ".jpg", ".jpeg", ".gif", ".svg"];

    [Fact]
    public void EveryKeyOfEveryOptionsClassIsInTheReference()
    {
        var documented = Rows().Select(r => r.Key).ToHashSet(StringComparer.Ordinal);

        var missing = ConfigurationKeys.All.Concat(ConfigurationKeys.Extra).Select(k => k.Key).Where(k => !documented.Contains(k)).ToList();

        Assert.True(missing.Count == 0, $"{Reference} lacks: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryKeyInTheReferenceIsOneTheApplicationReads()
    {
        var known = ConfigurationKeys.All.Concat(ConfigurationKeys.Extra).Select(k => k.Key).ToHashSet(StringComparer.Ordinal);

        var unknown = Rows().Select(r => r.Key).Where(k => !known.Contains(k)).ToList();

        Assert.True(unknown.Count == 0, $"{Reference} lists keys no options class has: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void EveryKeyIsListedOnce()
    {
        var repeated = Rows().GroupBy(r => r.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.Empty(repeated);
    }

    [Fact]
    public void StatedDefaultsAreTheDefaultsOfTheOptionsClasses()
    {
        var rows = Rows().ToDictionary(r => r.Key, StringComparer.Ordinal);
        var wrong = new List<string>();
        foreach (var key in ConfigurationKeys.All)
        {
            if (rows.TryGetValue(key.Key, out var row) && DefaultProblem(key, row.Default) is { } problem)
            {
                wrong.Add($"{key.Key}: {problem}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public void ReadmePointsToTheReferenceInsteadOfKeepingATableOfItsOwn()
    {
        var readme = File.ReadAllText(RepoFiles.PathOf("README.md"));

        Assert.Contains("(docs/configuration.md)", readme, StringComparison.Ordinal);
        Assert.DoesNotMatch(KeyRow(), readme);
    }

    [Fact]
    public void ReadmeStaysAShortFrontPage()
    {
        var lines = File.ReadAllLines(RepoFiles.PathOf("README.md")).Length;

        Assert.True(lines <= ReadmeMaxLines, $"README.md has {lines} lines; keep it at most {ReadmeMaxLines} and move detail to a page under docs/");
    }

    [Fact]
    public void EveryRelativeLinkToAPageOrImageInTheReadmeAndDocsPointsAtAFileThatExists()
    {
        var pages = MarkdownPages();
        var broken = new List<string>();
        foreach (var page in pages)
        {
            foreach (var (target, _) in RelativeLinks(page).Where(l => CheckedLinkEndings.Any(e => l.Path.EndsWith(e, StringComparison.OrdinalIgnoreCase))))
            {
                if (!File.Exists(ResolveLink(page, target)))
                {
                    broken.Add($"{page}: ({target})");
                }
            }
        }

        Assert.True(pages.Count > 1, "no pages found under docs/");
        Assert.True(broken.Count == 0, "links to files that do not exist:" + Environment.NewLine + string.Join(Environment.NewLine, broken));
    }

    [Fact]
    public void EveryAnchorInALinkBetweenTheReadmeAndDocsNamesAHeadingOfItsPage()
    {
        var broken = new List<string>();
        foreach (var page in MarkdownPages())
        {
            foreach (var (target, anchor) in RelativeLinks(page).Where(l => l.Anchor is not null && l.Path.EndsWith(".md", StringComparison.OrdinalIgnoreCase)))
            {
                var file = ResolveLink(page, target);
                if (File.Exists(file) && !HeadingAnchors(File.ReadAllText(file)).Contains(anchor!))
                {
                    broken.Add($"{page}: ({target}#{anchor})");
                }
            }
        }

        Assert.True(broken.Count == 0, "links to headings that do not exist:" + Environment.NewLine + string.Join(Environment.NewLine, broken));
    }

    [Fact]
    public void LinkCheckFindsLinksOutsideCodeAndSkipsAbsoluteOnes()
    {
        const string text = """
            See [the protocol](docs/protocol.md#reliable-subprotocols), ![chart](docs/benchmarks/a.png "title"),
            [`connector/Sessions/`](connector/Sessions/), [Azure](https://learn.microsoft.com/x.md), [top](#top).

            ```
            [not a link](inside/code.md)
            ```
            and `[nor](this.md)`.
            """;

        (string Path, string? Anchor)[] expected = [("docs/protocol.md", "reliable-subprotocols"), ("docs/benchmarks/a.png", null), ("connector/Sessions/", null)];

        Assert.Equal(expected, LinksIn(text).ToArray());
        Assert.Contains("keys-rotation-and-tls", HeadingAnchors("## Keys, rotation and TLS\n"));
        Assert.Contains("rest-api-server-sdks", HeadingAnchors("# REST API (server SDKs)\n"));
    }

    [Theory]
    [InlineData("12", null)]
    [InlineData("13", "stated 13")]
    [InlineData("a dozen", "described in words")]
    public void DefaultCheckRejectsAWrongOrMerelyDescribedValue(string stated, string? problem)
    {
        var key = new ConfigurationKey("Kafka:Partitions", typeof(int), 12);

        var found = DefaultProblem(key, stated);

        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A default cell is a value (in backticks, or bare for anything but text) that must equal the class's default,
    /// or words ("none", "random per start", "2 embedded / 0 external"), allowed only where the class leaves the
    /// setting unset (null, empty text, empty list) and works the default out at run time.
    /// </summary>
    private static string? DefaultProblem(ConfigurationKey key, string cell)
    {
        var quoted = QuotedValue().Match(cell);
        var text = quoted.Success ? quoted.Groups[1].Value : cell;
        var literal = quoted.Success || (key.Type != typeof(string) && !key.Key.EndsWith(":<>", StringComparison.Ordinal));
        if (literal && ConfigurationKeys.TryConvert(text, key.Type, out var stated))
        {
            return Equals(stated, key.Default) ? null : $"stated {text}, the class says {ConfigurationKeys.Format(key.Default)}";
        }

        return ConfigurationKeys.IsUnset(key.Default)
            ? null
            : $"described in words (\"{cell}\") though the class's default is {ConfigurationKeys.Format(key.Default)}; state the value";
    }

    /// <summary>README.md and every page directly under docs/, as repo-relative paths.</summary>
    private static IReadOnlyList<string> MarkdownPages() =>
        ["README.md", .. Directory.EnumerateFiles(RepoFiles.PathOf("docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    private static IEnumerable<(string Path, string? Anchor)> RelativeLinks(string page) => LinksIn(File.ReadAllText(RepoFiles.PathOf(page)));

    /// <summary>The targets of the Markdown links and images in <paramref name="text"/> that are relative paths,
    /// outside fenced code and code spans; a target's <c>#anchor</c> is split off.</summary>
    private static IEnumerable<(string Path, string? Anchor)> LinksIn(string text)
    {
        var prose = CodeSpan().Replace(FencedCode().Replace(text.ReplaceLineEndings("\n"), string.Empty), "`x`");
        foreach (Match match in LinkTarget().Matches(prose))
        {
            var target = match.Groups["target"].Value;
            if (target.StartsWith('#') || Scheme().IsMatch(target))
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            yield return hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
        }
    }

    private static string ResolveLink(string page, string target) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(RepoFiles.PathOf(page))!, Uri.UnescapeDataString(target).Replace('/', Path.DirectorySeparatorChar)));

    /// <summary>The anchors GitHub gives the headings of <paramref name="markdown"/> (outside fenced code):
    /// lower case, punctuation dropped, spaces as hyphens.</summary>
    private static HashSet<string> HeadingAnchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(FencedCode().Replace(markdown.ReplaceLineEndings("\n"), string.Empty)))
        {
            var slug = AnchorDrop().Replace(heading.Groups["text"].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-');
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    private static IEnumerable<(string Key, string Default)> Rows()
    {
        foreach (var line in File.ReadLines(RepoFiles.PathOf(Reference)))
        {
            var row = Row().Match(line);
            if (row.Success)
            {
                yield return (Placeholder().Replace(row.Groups["key"].Value, "<>"), row.Groups["default"].Value.Trim());
            }
        }
    }

    [GeneratedRegex(@"^\|\s*`(?<key>[A-Za-z]+:[^`]+)`\s*\|(?<default>[^|]*)\|")]
    private static partial Regex Row();

    [GeneratedRegex(@"(?m)^\|\s*`(Connector|Auth|Kafka|Functions):")]
    private static partial Regex KeyRow();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^`([^`]*)`$")]
    private static partial Regex QuotedValue();

    [GeneratedRegex(@"(?ms)^\s*```.*?^\s*```[^\n]*$")]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex LinkTarget();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"(?m)^#{1,6}[ \t]+(?<text>.+?)[ \t]*#*[ \t]*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\p{Mn}\p{Pc} -]")]
    private static partial Regex AnchorDrop();
}
