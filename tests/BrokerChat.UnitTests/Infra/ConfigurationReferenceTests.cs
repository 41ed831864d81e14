using System.Text.RegularExpressions;

namespace BrokerChat.UnitTests.Infra;

/// <summary>
/// docs/configuration.md lists every key of every options class with its default, and nothing else: checked against
/// the classes by reflection, so the reference cannot drift from the code.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Reference = "docs/configuration.md";

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
}
