using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// Runs the BenchmarkDotNet micro-benchmarks (<c>tests/BrokerChat.Benchmarks</c>: frame parse and encode in both
/// subprotocols, serialize-once fan-out against per-recipient encoding, Kafka contract encode and decode) as a child
/// process and turns their GitHub-flavoured reports into a section of docs/benchmarks.md between its own markers.
/// </summary>
internal static class MicroBenchmarks
{
    /// <summary>Opens the micro-benchmark part of the benchmarks document.</summary>
    public const string BeginMarker = "<!-- micro:begin -->";

    /// <summary>Closes it.</summary>
    public const string EndMarker = "<!-- micro:end -->";

    private const string Command = "dotnet run -c Release --project tests/BrokerChat.Benchmarks -- --filter '*' --job short --exporters github";

    /// <summary>Runs them; returns the Markdown section, or null (with a note) when the run failed.</summary>
    public static async Task<string?> RunAsync(string root, string artifacts, List<string> notes)
    {
        Console.WriteLine($"Micro-benchmarks: {Command}");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = root, RedirectStandardOutput = true };
        foreach (var arg in new[] { "run", "-c", "Release", "--project", Path.Combine(root, "tests", "BrokerChat.Benchmarks"), "--", "--filter", "*", "--job", "short", "--exporters", "github", "--artifacts", artifacts })
        {
            info.ArgumentList.Add(arg);
        }

        var started = DateTimeOffset.UtcNow;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the micro-benchmarks.");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && (line.StartsWith("// ***", StringComparison.Ordinal) || line.Contains("Benchmark Process", StringComparison.Ordinal)))
            {
                Console.WriteLine("  " + line);
            }
        };
        process.BeginOutputReadLine();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var reports = Directory.Exists(Path.Combine(artifacts, "results"))
            ? Directory.GetFiles(Path.Combine(artifacts, "results"), "*-report-github.md").Order(StringComparer.Ordinal).ToArray()
            : [];
        if (process.ExitCode != 0 || reports.Length == 0)
        {
            notes.Add($"Micro-benchmarks did not run (exit code {process.ExitCode}); see `{Command}`.");
            return null;
        }

        var md = new StringBuilder();
        md.AppendLine("## Micro-benchmarks").AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"Run {started:yyyy-MM-dd HH:mm} UTC by the same command, BenchmarkDotNet short job (3 iterations; ")
            .AppendLine("for tighter error bars drop `--job short`):").AppendLine();
        md.AppendLine("```bash").AppendLine(Command).AppendLine("```").AppendLine();
        foreach (var report in reports)
        {
            var name = Path.GetFileName(report).Replace("-report-github.md", string.Empty, StringComparison.Ordinal);
            md.Append("### ").AppendLine(name[(name.LastIndexOf('.') + 1)..]).AppendLine();
            md.AppendLine((await File.ReadAllTextAsync(report).ConfigureAwait(false)).Trim()).AppendLine();
        }

        return md.ToString();
    }

    /// <summary>Puts <paramref name="markdown"/> between the micro markers, adding them after the load results when absent.</summary>
    public static void UpdateDocs(string docsFile, string markdown)
    {
        var document = File.Exists(docsFile) ? File.ReadAllText(docsFile) : string.Empty;
        var block = $"{BeginMarker}\n\n{markdown.Trim()}\n\n{EndMarker}";
        var begin = document.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = begin < 0 ? -1 : document.IndexOf(EndMarker, begin, StringComparison.Ordinal);
        if (begin >= 0 && end >= 0)
        {
            document = string.Concat(document.AsSpan(0, begin), block, document.AsSpan(end + EndMarker.Length));
        }
        else
        {
            var after = document.IndexOf(BenchReportWriter.EndMarker, StringComparison.Ordinal);
            var at = after < 0 ? document.Length : after + BenchReportWriter.EndMarker.Length;
            document = document[..at] + "\n\n" + block + "\n" + document[at..];
        }

        File.WriteAllText(docsFile, document);
    }
}
