using ScottPlot;

namespace BrokerChat.LoadTool.Bench;

/// <summary>One chart of a run.</summary>
/// <param name="Scenario">The scenario whose section shows it.</param>
/// <param name="FileName">The PNG file name.</param>
/// <param name="Title">The chart's title, also its alt text in the Markdown.</param>
/// <param name="Draw">Adds the chart's lines and labels to an empty plot.</param>
public sealed record BenchChart(Scenario Scenario, string FileName, string Title, Action<Plot> Draw);

/// <summary>
/// PNG charts of a <see cref="BenchRun"/>, drawn with ScottPlot: one line per system (its first round), latency
/// and deliveries over time, saturation, idle memory per connection and soak memory. Charts without data are skipped.
/// </summary>
public static class BenchCharts
{
    /// <summary>Chart width in pixels.</summary>
    public const int Width = 900;

    /// <summary>Chart height in pixels.</summary>
    public const int Height = 450;

    private static readonly Scenario[] TimedScenarios = [Scenario.Chat, Scenario.Broadcast, Scenario.SlowReaders, Scenario.Soak];

    /// <summary>A sample with the result it belongs to, for the functions that pick a chart's points.</summary>
    private readonly record struct Point(ScenarioResult Result, Sample Sample);

    /// <summary>The charts that have data in <paramref name="run"/>, in the order the summary shows them.</summary>
    public static IReadOnlyList<BenchChart> Charts(BenchRun run)
    {
        var charts = new List<BenchChart?>();
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            var name = scenario.ToString().ToLowerInvariant();
            if (TimedScenarios.Contains(scenario))
            {
                charts.Add(Timed(run, scenario, $"latency-{name}.png", $"{scenario}: latency over time", "latency (ms)",
                    [("p50", LinePattern.Solid, p => p.Sample.Latency?.P50), ("p99", LinePattern.Dashed, p => p.Sample.Latency?.P99)]));
                charts.Add(Timed(run, scenario, $"deliveries-{name}.png", $"{scenario}: deliveries per second", "deliveries/s",
                    [("", LinePattern.Solid, p => p.Sample.DeliveriesPerSecond)]));
            }
        }

        charts.Add(Lines(run, Scenario.Saturation, "deliveries-saturation.png", "Saturation: delivered against offered",
            "offered deliveries/s (messages/s × members)", "delivered/s",
            [("", LinePattern.Solid, p => p.Sample.OfferedPerSecond * p.Result.Settings.MembersPerRoom, p => p.Sample.DeliveriesPerSecond)],
            diagonal: true));
        charts.Add(Lines(run, Scenario.Idle, "rss-per-connection.png", "Idle: RSS per connection", "connections",
            "RSS per connection above baseline (KB)",
            [("", LinePattern.Solid, p => p.Sample.Connections, p => p.Sample.Connections > 0
                ? (p.Sample.RssBytes - p.Result.Summary.RssBaselineBytes) / 1024.0 / p.Sample.Connections
                : null)]));
        charts.Add(Timed(run, Scenario.Soak, "soak-memory.png", "Soak: server memory", "MB",
            [("RSS", LinePattern.Solid, p => p.Sample.RssBytes / 1024.0 / 1024),
             ("managed heap", LinePattern.Dashed, p => p.Sample.ManagedHeapBytes / 1024.0 / 1024)]));

        return charts.OfType<BenchChart>().OrderBy(c => c.Scenario).ToArray();
    }

    /// <summary>The charts of one scenario that have data.</summary>
    public static IReadOnlyList<BenchChart> Charts(BenchRun run, Scenario scenario) =>
        Charts(run).Where(c => c.Scenario == scenario).ToArray();

    /// <summary>Writes every chart that has data as a PNG into <paramref name="directory"/>; returns the file names written.</summary>
    public static IReadOnlyList<string> Write(BenchRun run, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var chart in Charts(run))
        {
            var plot = new Plot();
            plot.Font.Set(Fonts.Sans);
            chart.Draw(plot);
            plot.Title(chart.Title);
            plot.ShowLegend(Edge.Right);
            plot.SavePng(Path.Combine(directory, chart.FileName), Width, Height);
            written.Add(chart.FileName);
        }

        return written;
    }

    private static BenchChart? Timed(
        BenchRun run, Scenario scenario, string file, string title, string yLabel,
        (string Label, LinePattern Pattern, Func<Point, double?> Y)[] series)
    {
        var results = SystemResults(run, scenario);
        var minutes = results.SelectMany(r => r.Timeline).Select(s => s.Seconds).DefaultIfEmpty().Max() > 600;
        return Lines(run, scenario, file, title, minutes ? "time (min)" : "time (s)", yLabel,
            series.Select(s => (s.Label, s.Pattern, (Func<Point, double?>)(p => minutes ? p.Sample.Seconds / 60 : p.Sample.Seconds), s.Y)).ToArray());
    }

    /// <summary>
    /// A chart with one line per system and series; null when no line has a point. Latency-like values spanning more than two decades are drawn on a log scale.
    /// </summary>
    private static BenchChart? Lines(
        BenchRun run, Scenario scenario, string file, string title, string xLabel, string yLabel,
        (string Label, LinePattern Pattern, Func<Point, double?> X, Func<Point, double?> Y)[] series,
        bool diagonal = false)
    {
        var lines = new List<(string Legend, int System, LinePattern Pattern, double[] Xs, double[] Ys)>();
        foreach (var result in SystemResults(run, scenario))
        {
            foreach (var (label, pattern, x, y) in series)
            {
                var points = result.Timeline
                    .Select(s => (X: x(new Point(result, s)), Y: y(new Point(result, s))))
                    .Where(p => p.X is { } px && p.Y is { } py && double.IsFinite(px) && double.IsFinite(py))
                    .Select(p => (X: p.X!.Value, Y: p.Y!.Value))
                    .ToArray();
                if (points.Length > 0)
                {
                    var legend = label.Length == 0 ? result.System : $"{result.System} {label}";
                    lines.Add((legend, BenchFigures.SystemIndex(run, result.System), pattern, points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray()));
                }
            }
        }

        if (lines.Count == 0)
        {
            return null;
        }

        var positive = lines.SelectMany(l => l.Ys).Where(v => v > 0).DefaultIfEmpty(1).ToArray();
        var log = yLabel.StartsWith("latency", StringComparison.Ordinal) && positive.Max() / positive.Min() > 100;
        return new(scenario, file, title, plot =>
        {
            var palette = new ScottPlot.Palettes.Category10();
            foreach (var (legend, system, pattern, xs, ys) in lines)
            {
                var keep = Enumerable.Range(0, xs.Length).Where(i => !log || ys[i] > 0).ToArray();
                var line = plot.Add.ScatterLine(keep.Select(i => xs[i]).ToArray(), keep.Select(i => log ? Math.Log10(ys[i]) : ys[i]).ToArray());
                line.LegendText = legend;
                line.Color = palette.GetColor(system);
                line.LinePattern = pattern;
                line.LineWidth = 2;
                line.MarkerSize = xs.Length <= 30 ? 6 : 0;
            }

            if (diagonal)
            {
                var top = lines.SelectMany(l => l.Xs).Max();
                var ideal = plot.Add.ScatterLine(new[] { 0.0, top }, new[] { 0.0, top });
                ideal.LegendText = "offered";
                ideal.Color = Colors.Gray;
                ideal.LinePattern = LinePattern.Dotted;
            }

            if (log)
            {
                plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
                {
                    MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                    IntegerTicksOnly = true,
                    LabelFormatter = y => Math.Pow(10, y) is var v && v >= 1
                        ? BenchFigures.Count(v)
                        : v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
                };
                plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
                yLabel += ", log scale";
            }

            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
        });
    }

    /// <summary>Each system's earliest round of a scenario, in run order.</summary>
    private static IEnumerable<ScenarioResult> SystemResults(BenchRun run, Scenario scenario) =>
        BenchFigures.SystemsIn(run, scenario).Select(system => BenchFigures.FirstRound(run, scenario, system)!);
}
