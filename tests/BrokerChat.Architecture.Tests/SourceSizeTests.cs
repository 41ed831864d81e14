namespace BrokerChat.Architecture.Tests;

/// <summary>A file does one job: no product source file grows past about 400 lines unless it says why.</summary>
public sealed class SourceSizeTests
{
    /// <summary>The most lines a product source file has without a comment saying why it needs more.</summary>
    public const int MaxLines = 400;

    /// <summary>The comment a longer file carries, with its reason after it.</summary>
    public const string Exemption = "// Longer than 400 lines because";

    [Fact]
    public void NoProductSourceFileIsLongerThan400LinesWithoutSayingWhy()
    {
        var tooLong = Repo.ProductSources()
            .Select(path => (Path: path, Lines: File.ReadAllLines(Repo.PathOf(path))))
            .Where(f => f.Lines.Length > MaxLines && !f.Lines.Any(l => l.TrimStart().StartsWith(Exemption, StringComparison.Ordinal)))
            .Select(f => $"{f.Path}: {f.Lines.Length} lines")
            .ToList();

        Assert.True(tooLong.Count == 0, $"Split these by concern (partial files, or smaller types):{Environment.NewLine}{string.Join(Environment.NewLine, tooLong)}");
    }

    [Fact]
    public void TheProductSourcesAreFound()
    {
        var sources = Repo.ProductSources().ToList();

        Assert.Contains(sources, s => s.StartsWith("connector", StringComparison.Ordinal));
        Assert.Contains(sources, s => s.StartsWith("functions", StringComparison.Ordinal));
        Assert.Contains(sources, s => s.StartsWith("shared", StringComparison.Ordinal));
    }
}
