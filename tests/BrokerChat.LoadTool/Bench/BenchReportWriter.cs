using System.Text.Json;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// Writes a run's outputs (<c>results.json</c>, the charts and <c>summary.md</c>) and keeps the generated part of
/// <c>docs/benchmarks.md</c> up to date; <c>render</c> does both again from a saved <c>results.json</c>.
/// </summary>
/// <example>
/// <c>dotnet run -c Release --project tests/BrokerChat.LoadTool -- render bench-results/results.json --docs docs/benchmarks.md</c>
/// </example>
public static class BenchReportWriter
{
    /// <summary>Opens the generated part of the benchmarks document.</summary>
    public const string BeginMarker = "<!-- bench:begin -->";

    /// <summary>Closes the generated part of the benchmarks document.</summary>
    public const string EndMarker = "<!-- bench:end -->";

    /// <summary>The run's results, as JSON.</summary>
    public const string ResultsFile = "results.json";

    /// <summary>The run's Markdown summary, next to the charts.</summary>
    public const string SummaryFile = "summary.md";

    /// <summary>Writes <c>results.json</c>, the charts and <c>summary.md</c> into <paramref name="outputDirectory"/>.</summary>
    public static async Task WriteAsync(BenchRun run, string outputDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(outputDirectory);
        var results = File.Create(Path.Combine(outputDirectory, ResultsFile));
        await using (results.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(results, run, BenchRun.JsonOptions, cancellationToken).ConfigureAwait(false);
        }

        await RenderAsync(run, outputDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a run saved by <see cref="WriteAsync"/>.</summary>
    public static async Task<BenchRun> ReadAsync(string resultsFile, CancellationToken cancellationToken = default)
    {
        var stream = File.OpenRead(resultsFile);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync<BenchRun>(stream, BenchRun.JsonOptions, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{resultsFile} holds no run.");
        }
    }

    /// <summary>
    /// Replaces the text between <see cref="BeginMarker"/> and <see cref="EndMarker"/> in <paramref name="docsFile"/>
    /// with <paramref name="markdown"/>, adding the markers after the first <c># </c> heading when they are absent.
    /// </summary>
    public static void UpdateDocs(string docsFile, string markdown)
    {
        var document = File.Exists(docsFile) ? File.ReadAllText(docsFile) : "";
        File.WriteAllText(docsFile, ReplaceGenerated(document, markdown));
    }

    /// <summary>
    /// <paramref name="document"/> with the text between the markers replaced by <paramref name="markdown"/>; without
    /// markers, they and the markdown go right after the first <c># </c> heading line outside code blocks (or at the
    /// top when there is none). Everything else is kept as it was.
    /// </summary>
    public static string ReplaceGenerated(string document, string markdown)
    {
        var block = $"{BeginMarker}\n\n{markdown.Trim()}\n\n{EndMarker}";
        var begin = document.IndexOf(BeginMarker, StringComparison.Ordinal);
        if (begin >= 0)
        {
            var end = document.IndexOf(EndMarker, begin, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new InvalidDataException($"The document has {BeginMarker} but no {EndMarker} after it.");
            }

            return string.Concat(document.AsSpan(0, begin), block, document.AsSpan(end + EndMarker.Length));
        }

        var at = AfterFirstHeading(document);
        var head = document[..at];
        if (head.Length > 0)
        {
            head += head.EndsWith('\n') ? "\n" : "\n\n";
        }

        var tail = document[at..];
        return head + block + "\n" + (tail.Length == 0 || tail.StartsWith('\n') ? tail : "\n" + tail);
    }

    /// <summary>
    /// <c>render &lt;results.json&gt; [--docs docs/benchmarks.md]</c>: draws the charts and <c>summary.md</c> again
    /// next to <c>results.json</c> and, with <c>--docs</c>, replaces the generated part of that document, linking
    /// the charts from there.
    /// </summary>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RenderCommandAsync(string[] args)
    {
        var rest = args.Length > 0 && args[0] == "render" ? args[1..] : args;
        var docsAt = Array.IndexOf(rest, "--docs");
        var docs = docsAt >= 0 && docsAt + 1 < rest.Length ? rest[docsAt + 1] : null;
        var positional = rest.Where((_, i) => docsAt < 0 || i < docsAt || i > docsAt + 1).ToArray();
        if (positional.Length != 1 || positional[0].StartsWith("--", StringComparison.Ordinal) || docsAt >= 0 && docs is null)
        {
            await Console.Error.WriteLineAsync("usage: render <results.json> [--docs docs/benchmarks.md]").ConfigureAwait(false);
            return 2;
        }

        var resultsFile = Path.GetFullPath(positional[0]);
        var run = await ReadAsync(resultsFile).ConfigureAwait(false);
        var directory = Path.GetDirectoryName(resultsFile)!;
        var charts = await RenderAsync(run, directory, CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"{Path.Combine(directory, SummaryFile)} and {charts.Count} charts written");
        if (docs is not null)
        {
            var docsFile = Path.GetFullPath(docs);
            var relative = Path.GetRelativePath(Path.GetDirectoryName(docsFile)!, directory).Replace('\\', '/');
            UpdateDocs(docsFile, BenchMarkdown.Render(run, relative));
            Console.WriteLine($"{docsFile} updated");
        }

        return 0;
    }

    private static async Task<IReadOnlyList<string>> RenderAsync(BenchRun run, string directory, CancellationToken cancellationToken)
    {
        var charts = BenchCharts.Write(run, directory);
        await File.WriteAllTextAsync(Path.Combine(directory, SummaryFile), BenchMarkdown.Render(run, "."), cancellationToken).ConfigureAwait(false);
        return charts;
    }

    /// <summary>Where the generated block goes in a document without markers: after the first <c># </c> heading line.</summary>
    private static int AfterFirstHeading(string document)
    {
        var fenced = false;
        var start = 0;
        while (start < document.Length)
        {
            var newline = document.IndexOf('\n', start);
            var end = newline < 0 ? document.Length : newline + 1;
            var line = document[start..end].TrimEnd('\r', '\n');
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced && line.StartsWith("# ", StringComparison.Ordinal))
            {
                return end;
            }

            start = end;
        }

        return 0;
    }
}
