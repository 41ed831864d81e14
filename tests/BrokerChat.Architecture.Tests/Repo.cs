using System.Reflection;

namespace BrokerChat.Architecture.Tests;

/// <summary>Paths in the repository and in this test's output folder.</summary>
internal static class Repo
{
    /// <summary>The repository root the tests were built from.</summary>
    public static string Root { get; } = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>A path below the repository root.</summary>
    public static string PathOf(string relative) => Path.GetFullPath(Path.Combine(Root, relative));

    /// <summary>
    /// A product assembly as built beside these tests, or in <c>BROKERCHAT_LAYOUT_ASSEMBLIES</c> when that names a
    /// folder (to read another build's layout, as <c>tests/layout-report.sh --before</c> does).
    /// </summary>
    public static string Assembly(string name) =>
        Path.Combine(Environment.GetEnvironmentVariable("BROKERCHAT_LAYOUT_ASSEMBLIES") is { Length: > 0 } folder ? folder : AppContext.BaseDirectory, name + ".dll");

    /// <summary>Appends a finding to the file <c>BROKERCHAT_LAYOUT_REPORT</c> names, when it names one.</summary>
    public static void Report(string text)
    {
        if (Environment.GetEnvironmentVariable("BROKERCHAT_LAYOUT_REPORT") is { Length: > 0 } file)
        {
            File.AppendAllText(file, text + Environment.NewLine + Environment.NewLine);
        }
    }

    /// <summary>The C# source files of the product (connector/, functions/, shared/), relative to the root.</summary>
    public static IEnumerable<string> ProductSources() =>
        new[] { "connector", "functions", "shared" }
            .SelectMany(folder => Directory.EnumerateFiles(PathOf(folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(Root, path))
            .Order(StringComparer.Ordinal);
}
