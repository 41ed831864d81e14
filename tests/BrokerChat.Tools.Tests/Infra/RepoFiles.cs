using System.Reflection;

namespace BrokerChat.Tools.Tests.Infra;

/// <summary>Files of the repository these tests check.</summary>
internal static class RepoFiles
{
    /// <summary>The repository root.</summary>
    public static string Root { get; } =
        typeof(RepoFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>The full path of <paramref name="relative"/> (with <c>/</c>) under the root.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Files under <paramref name="folder"/> whose name ends with one of <paramref name="endings"/>, as repo-relative paths.</summary>
    public static IReadOnlyList<string> Under(string folder, params string[] endings) =>
        Directory.EnumerateFiles(PathOf(folder), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => endings.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}
