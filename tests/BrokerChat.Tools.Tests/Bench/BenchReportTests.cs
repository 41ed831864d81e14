using BrokerChat.LoadTool.Bench;

namespace BrokerChat.Tools.Tests.Bench;

public sealed class BenchReportTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void RatiosDivideBrokerChatsMedianByEachPeersMedian()
    {
        var run = SyntheticBenchRun.Create();
        var figure = (string name) => BenchFigures.Headline.Single(f => f.Name == name);

        Assert.Equal(2.5, BenchFigures.Ratio(run, figure("deliveries/s at saturation"), BenchFigures.SignalRRedis)!.Value, 6);
        Assert.Equal(0.4, BenchFigures.Ratio(run, figure("deliveries/s at saturation"), BenchFigures.BareKestrel)!.Value, 6);
        Assert.Equal(2.3, BenchFigures.Ratio(run, figure("(b) chat p99 latency"), BenchFigures.SignalRRedis)!.Value, 6);
        Assert.Equal(3.0, BenchFigures.Ratio(run, figure("(b) chat p50 latency"), BenchFigures.SignalRRedis)!.Value, 6);
        Assert.Equal(6_200.0 / 2_100, BenchFigures.Ratio(run, figure("(a) idle RSS per connection"), BenchFigures.BareKestrel)!.Value, 6);
        Assert.Equal(1.5, BenchFigures.Ratio(run, figure("(b) chat CPU s per 1,000 deliveries"), BenchFigures.SignalRRedis)!.Value, 6);
    }

    [Fact]
    public void AnOutlyingRoundMovesTheMedianOnlyToTheMiddleRound()
    {
        var run = SyntheticBenchRun.Create();
        var outlier = SyntheticBenchRun.Result(Scenario.Chat, "BrokerChat", 3, SyntheticBenchRun.Profiles["BrokerChat"], 20);
        run = run with { Results = [.. run.Results, outlier] };

        // Rounds at 0.9×, 1.1× and 20× of a 23 ms p99: the median is the 1.1× round, not the mean.
        Assert.Equal(23 * 1.1, BenchFigures.MedianOf(run, Scenario.Chat, "BrokerChat", s => s.Latency?.P99)!.Value, 6);
        Assert.Equal(2.5, BenchFigures.Median([4, null, 1, double.NaN, 2, 3]));
        Assert.Null(BenchFigures.Median([null]));
    }

    [Fact]
    public void TargetsSayMetOrByHowMuchTheyWereMissed()
    {
        var targets = BenchFigures.Targets(SyntheticBenchRun.Create());

        Assert.Equal(
        [
            new("(b) chat p99 latency", "23.0 ms", "≤ 25.0 ms", "met"),
            new("deliveries/s at saturation, ÷ SignalR+Redis", "2.50×", "≥ 2.00×", "met"),
            new("deliveries/s at saturation, ÷ Bare Kestrel", "40.0%", "≥ 50.0%", "missed by 10.0 percentage points"),
            new("(a) idle RSS per connection, ÷ SignalR+Redis", "0.60×", "≤ 0.50×", "missed by 0.10×"),
        ], targets);
    }

    [Fact]
    public void ALatencyTargetIsMissedByTheExcessInMilliseconds()
    {
        var slow = SyntheticBenchRun.Profiles["BrokerChat"] with { ChatP99 = 30 };
        var run = SyntheticBenchRun.Create();
        run = run with
        {
            Results = run.Results.Select(r => r.System == "BrokerChat" && r.Scenario == Scenario.Chat
                ? SyntheticBenchRun.Result(Scenario.Chat, "BrokerChat", r.Round, slow, r.Round == 1 ? 0.9 : 1.1)
                : r).ToArray(),
        };

        Assert.Equal("missed by 5.0 ms", BenchFigures.Targets(run)[0].Outcome);
    }

    [Fact]
    public void APeerWithoutResultsIsNotAvailableEverywhereItIsCompared()
    {
        var full = SyntheticBenchRun.Create();
        var run = full with { Results = full.Results.Where(r => r.System != BenchFigures.BareKestrel).ToArray() };

        var targets = BenchFigures.Targets(run);
        var markdown = BenchMarkdown.Render(run, "charts");

        Assert.Equal(new TargetCheck("deliveries/s at saturation, ÷ Bare Kestrel", "n/a", "≥ 50.0%", "n/a"), targets[2]);
        Assert.Equal("met", targets[1].Outcome);
        var saturationRow = markdown.Split('\n').Single(l => l.StartsWith("| deliveries/s at saturation | higher |", StringComparison.Ordinal));
        Assert.EndsWith("| 2.50× | n/a | n/a |", saturationRow);
    }

    [Fact]
    public void APeerNeverListedAndAScenarioNeverRunRenderAsNotAvailable()
    {
        var full = SyntheticBenchRun.Create(["BrokerChat", BenchFigures.SignalRRedis]);
        var run = full with { Results = full.Results.Where(r => r.Scenario != Scenario.Saturation).ToArray() };

        var markdown = BenchMarkdown.Render(run, "charts");

        Assert.All(BenchFigures.Targets(run).Skip(1).Take(2), t => Assert.Equal("n/a", t.Outcome));
        Assert.Contains("| deliveries/s at saturation | higher | n/a | n/a | n/a |", markdown, StringComparison.Ordinal);
        Assert.Contains("Not measured in this run: Saturation.", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("deliveries-saturation.png", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSummaryDescribesTheRunAndEveryScenario()
    {
        var markdown = BenchMarkdown.Render(SyntheticBenchRun.Create(), "bench/2026-11-30/");

        Assert.All(
        [
            "## Benchmark run of 2026-11-30",
            "Started 2026-11-30 09:15 UTC, full mode, took 1 h 23 min.",
            "```bash\ndotnet run -c Release --project tests/BrokerChat.LoadTool -- bench --rounds 2\n```",
            "| memory | 8.0 GB |",
            "| open files limit | 1,048,576 |",
            "- Redis ran with appendonly no.",
            "2,000 clients in 200 rooms of 10, 2,000 senders at 1 msg/s each, 10% slow readers, 64 B payload, measured 60 s, from 2 load processes over 4 source addresses.",
            "| BrokerChat | 1 | 2,000 | 0 | 2,000 | 120,000 | 1,200,000 | 1,200,000 | 0 | 20,000 | 13.5 | 17.1 | 20.7 | 31.0 | 62.1 |",
            "![Chat: latency over time](bench/2026-11-30/latency-chat.png)",
            "![Idle: RSS per connection](bench/2026-11-30/rss-per-connection.png)",
            "| 2,000 | 2,000 | 20,000 | 20.7 | 2,000 | 20,000 | 9.0 | 2,000 | 20,000 | 3.6 |",
        ], fragment => Assert.Contains(fragment, markdown, StringComparison.Ordinal));
        Assert.DoesNotContain("Not measured", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIdleStepsAreThinnedToTenRowsKeepingTheTop()
    {
        var markdown = BenchMarkdown.Render(SyntheticBenchRun.Create(), ".");

        var lines = markdown.Split('\n');
        var header = Array.FindIndex(lines, l => l.StartsWith("| connections |", StringComparison.Ordinal));
        var rows = lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).ToArray();
        Assert.Equal(10, rows.Length);
        Assert.StartsWith("| 1,000 | 5.45 | 9.14 | 1.85 |", rows[0]);
        Assert.StartsWith("| 12,000 |", rows[^1]);
        Assert.Equal(BenchMarkdown.Thin(12, 10).Count, rows.Length);
    }

    [Fact]
    public void TheSoakTableGivesTheMemorySlopePerHour()
    {
        var markdown = BenchMarkdown.Render(SyntheticBenchRun.Create(), ".");

        Assert.Contains("| BrokerChat | 1 | +6.0 | +1.2 | 40 | 40 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Bare Kestrel | 2 | 0.0 | 0.0 | 40 | 40 |", markdown, StringComparison.Ordinal);
        Assert.Equal(3_600, BenchFigures.SlopePerHour([(0, 0), (10, 10), (20, 20)])!.Value, 6);
        Assert.Null(BenchFigures.SlopePerHour([(5, 1), (5, 2)]));
    }

    [Fact]
    public void GeneratedTextGoesAfterTheFirstHeadingWhenTheDocumentHasNoMarkers()
    {
        const string document = "Intro\n```bash\n# not a heading\n```\n# BrokerChat measurements\n\nEvery figure here comes from a command.\n\n## Latency\n";

        var updated = BenchReportWriter.ReplaceGenerated(document, "## Run A\n\nfigures A\n");

        Assert.Equal(
            "Intro\n```bash\n# not a heading\n```\n# BrokerChat measurements\n\n<!-- bench:begin -->\n\n## Run A\n\nfigures A\n\n<!-- bench:end -->\n\n"
            + "Every figure here comes from a command.\n\n## Latency\n",
            updated);
    }

    [Fact]
    public void GeneratedTextBetweenTheMarkersIsReplacedAndTheRestKept()
    {
        const string document = "# Title\n\n<!-- bench:begin -->\nold figures\n<!-- bench:end -->\n\n## Kept\n\ntext\n";

        var once = BenchReportWriter.ReplaceGenerated(document, "new figures");
        var twice = BenchReportWriter.ReplaceGenerated(once, "new figures");

        Assert.Equal("# Title\n\n<!-- bench:begin -->\n\nnew figures\n\n<!-- bench:end -->\n\n## Kept\n\ntext\n", once);
        Assert.Equal(once, twice);
        Assert.Throws<InvalidDataException>(() => BenchReportWriter.ReplaceGenerated("# T\n<!-- bench:begin -->\n", "x"));
    }

    [Fact]
    public void ChartsArePngFilesForEveryScenarioWithData()
    {
        var directory = Directory.CreateTempSubdirectory("brokerchat-charts-");
        try
        {
            var written = BenchCharts.Write(SyntheticBenchRun.Create(), directory.FullName);

            Assert.Equal(
            [
                "rss-per-connection.png", "latency-chat.png", "deliveries-chat.png", "latency-broadcast.png", "deliveries-broadcast.png",
                "latency-slowreaders.png", "deliveries-slowreaders.png", "deliveries-saturation.png", "latency-soak.png",
                "deliveries-soak.png", "soak-memory.png",
            ], written);
            foreach (var file in written)
            {
                var bytes = File.ReadAllBytes(Path.Combine(directory.FullName, file));
                Assert.True(bytes.Length > 10_000, $"{file} has {bytes.Length} bytes");
                Assert.Equal(PngSignature, bytes[..8]);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void ChartsWithoutDataAreSkipped()
    {
        var full = SyntheticBenchRun.Create();
        var run = full with { Results = full.Results.Where(r => r.Scenario is Scenario.Chat).ToArray() };

        Assert.Equal(["latency-chat.png", "deliveries-chat.png"], BenchCharts.Charts(run).Select(c => c.FileName));
        Assert.Empty(BenchCharts.Charts(full with { Results = [] }));
    }

    [Fact]
    public async Task ASavedRunRendersAgainIntoTheDocs()
    {
        var root = Directory.CreateTempSubdirectory("brokerchat-bench-");
        try
        {
            var output = Path.Combine(root.FullName, "bench", "run-1");
            var docs = Path.Combine(root.FullName, "docs", "benchmarks.md");
            Directory.CreateDirectory(Path.GetDirectoryName(docs)!);
            await File.WriteAllTextAsync(docs, "# BrokerChat measurements\n\nHand-written text.\n", TestContext.Current.CancellationToken);

            await BenchReportWriter.WriteAsync(SyntheticBenchRun.Create(), output, TestContext.Current.CancellationToken);
            var saved = await BenchReportWriter.ReadAsync(Path.Combine(output, "results.json"), TestContext.Current.CancellationToken);
            File.Delete(Path.Combine(output, "summary.md"));
            var exitCode = await BenchReportWriter.RenderCommandAsync(["render", Path.Combine(output, "results.json"), "--docs", docs])
                .WaitAsync(TestContext.Current.CancellationToken);

            Assert.Equal(0, exitCode);
            Assert.Equal(SyntheticBenchRun.Create().Results.Count, saved.Results.Count);
            Assert.Equal(BenchMarkdown.Render(saved, "."), await File.ReadAllTextAsync(Path.Combine(output, "summary.md"), TestContext.Current.CancellationToken));
            Assert.Contains("![Chat: latency over time](latency-chat.png)", await File.ReadAllTextAsync(Path.Combine(output, "summary.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
            var updated = await File.ReadAllTextAsync(docs, TestContext.Current.CancellationToken);
            Assert.StartsWith("# BrokerChat measurements\n\n<!-- bench:begin -->\n\n## Benchmark run of 2026-11-30", updated);
            Assert.EndsWith("<!-- bench:end -->\n\nHand-written text.\n", updated);
            Assert.Contains("![Chat: latency over time](../bench/run-1/latency-chat.png)", updated, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RenderWithoutAResultsFileExplainsItsUsage()
    {
        var exitCode = await BenchReportWriter.RenderCommandAsync(["render", "--docs"]).WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
    }
}
