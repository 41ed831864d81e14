using System.Globalization;

namespace BrokerChat.LoadTool.Bench;

/// <summary>A headline figure compared between BrokerChat and each peer.</summary>
/// <param name="Name">What it measures, as the ratios table names it.</param>
/// <param name="Scenario">The scenario it comes from.</param>
/// <param name="Value">Reads it from a scenario summary; null when the summary lacks it.</param>
/// <param name="HigherIsBetter">Whether a higher value (and so a higher BrokerChat ÷ peer ratio) is better.</param>
/// <param name="Format">Writes a value with its unit.</param>
public sealed record HeadlineFigure(
    string Name,
    Scenario Scenario,
    Func<ScenarioSummary, double?> Value,
    bool HigherIsBetter,
    Func<double, string> Format);

/// <summary>One row of the targets table.</summary>
/// <param name="Name">What the target is about.</param>
/// <param name="Value">The measured value, formatted; <c>n/a</c> when it could not be computed.</param>
/// <param name="Target">The target, formatted.</param>
/// <param name="Outcome"><c>met</c>, <c>missed by …</c>, or <c>n/a</c>.</param>
public sealed record TargetCheck(string Name, string Value, string Target, string Outcome);

/// <summary>
/// Figures derived from a <see cref="BenchRun"/>: each system's median across rounds, BrokerChat ÷ peer ratios,
/// the targets, and least-squares slopes. Shared by the Markdown summary and the charts.
/// </summary>
public static class BenchFigures
{
    /// <summary>Written where a figure cannot be computed.</summary>
    public const string NotAvailable = "n/a";

    /// <summary>The name of the SignalR backplane peer.</summary>
    public const string SignalRRedis = "SignalR+Redis";

    /// <summary>The name of the bare Kestrel WebSocket echo peer.</summary>
    public const string BareKestrel = "Bare Kestrel";

    /// <summary>The p99 latency target of chat rooms, in milliseconds.</summary>
    public const double ChatP99TargetMs = 25;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The figures of the ratios table, in order.</summary>
    public static IReadOnlyList<HeadlineFigure> Headline { get; } =
    [
        new("deliveries/s at saturation", Scenario.Saturation, s => s.DeliveriesPerSecond, true, v => Count(v) + "/s"),
        new("(b) chat p50 latency", Scenario.Chat, s => s.Latency?.P50, false, Ms),
        new("(b) chat p99 latency", Scenario.Chat, s => s.Latency?.P99, false, Ms),
        new("(a) idle RSS per connection", Scenario.Idle, s => s.RssPerConnectionBytes, false, v => Kb(v) + " KB"),
        new("(b) chat CPU s per 1,000 deliveries", Scenario.Chat, s => s.CpuSecondsPer1000Deliveries, false, v => Cpu(v) + " s"),
    ];

    /// <summary>The system the run is about: the first of <see cref="BenchRun.Systems"/>.</summary>
    public static string Subject(BenchRun run) => run.Systems.Count > 0 ? run.Systems[0] : "BrokerChat";

    /// <summary>The systems BrokerChat is compared with.</summary>
    public static IReadOnlyList<string> Peers(BenchRun run) => run.Systems.Skip(1).ToArray();

    /// <summary>The results of one scenario, by round and then in the order the systems alternated.</summary>
    public static IReadOnlyList<ScenarioResult> Results(BenchRun run, Scenario scenario) =>
        run.Results.Where(r => r.Scenario == scenario)
            .OrderBy(r => r.Round)
            .ThenBy(r => SystemIndex(run, r.System))
            .ToArray();

    /// <summary>Where a system stands in <see cref="BenchRun.Systems"/> (systems not listed come last).</summary>
    public static int SystemIndex(BenchRun run, string system)
    {
        var index = run.Systems.ToList().IndexOf(system);
        return index < 0 ? run.Systems.Count : index;
    }

    /// <summary>The systems that have results in a scenario, in run order.</summary>
    public static IReadOnlyList<string> SystemsIn(BenchRun run, Scenario scenario) =>
        Results(run, scenario).Select(r => r.System).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>A system's result of its earliest round in a scenario; null when it has none.</summary>
    public static ScenarioResult? FirstRound(BenchRun run, Scenario scenario, string system) =>
        run.Results.Where(r => r.Scenario == scenario && r.System == system).MinBy(r => r.Round);

    /// <summary>The median over rounds of one figure of a system; null when no round has it.</summary>
    public static double? MedianOf(BenchRun run, Scenario scenario, string system, Func<ScenarioSummary, double?> value) =>
        Median(run.Results.Where(r => r.Scenario == scenario && r.System == system).Select(r => value(r.Summary)));

    /// <summary>The median of the finite values (the mean of the middle two for an even count); null when there are none.</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary><paramref name="numerator"/> ÷ <paramref name="denominator"/>; null when either is missing or the divisor is zero.</summary>
    public static double? Ratio(double? numerator, double? denominator) =>
        numerator is { } a && denominator is { } b && b != 0 && double.IsFinite(a / b) ? a / b : null;

    /// <summary>BrokerChat's median ÷ a peer's median of a headline figure.</summary>
    public static double? Ratio(BenchRun run, HeadlineFigure figure, string peer) =>
        Ratio(MedianOf(run, figure.Scenario, Subject(run), figure.Value), MedianOf(run, figure.Scenario, peer, figure.Value));

    /// <summary>The targets BrokerChat is held to, checked against the run's medians.</summary>
    public static IReadOnlyList<TargetCheck> Targets(BenchRun run)
    {
        var subject = Subject(run);
        var saturation = Headline[0];
        var chatP99 = Headline[2];
        var idleRss = Headline[3];
        return
        [
            Check("(b) chat p99 latency", MedianOf(run, chatP99.Scenario, subject, chatP99.Value), ChatP99TargetMs, atMost: true, Ms, Ms),
            Check($"deliveries/s at saturation, ÷ {SignalRRedis}", Ratio(run, saturation, SignalRRedis), 2, atMost: false, Times, Times),
            Check($"deliveries/s at saturation, ÷ {BareKestrel}", Ratio(run, saturation, BareKestrel), 0.5, atMost: false,
                v => Percent(v) + "%", v => Percent(v) + " percentage points"),
            Check($"(a) idle RSS per connection, ÷ {SignalRRedis}", Ratio(run, idleRss, SignalRRedis), 0.5, atMost: true, Times, Times),
        ];
    }

    /// <summary>
    /// The least-squares slope of <paramref name="points"/> (x in seconds) per hour; null with fewer than two points
    /// or all at the same time.
    /// </summary>
    public static double? SlopePerHour(IReadOnlyList<(double Seconds, double Value)> points)
    {
        if (points.Count < 2)
        {
            return null;
        }

        var meanX = points.Average(p => p.Seconds);
        var meanY = points.Average(p => p.Value);
        var sxx = points.Sum(p => (p.Seconds - meanX) * (p.Seconds - meanX));
        var sxy = points.Sum(p => (p.Seconds - meanX) * (p.Value - meanY));
        return sxx > 0 ? sxy / sxx * 3600 : null;
    }

    /// <summary>A count or rate with thousands separators and no decimals.</summary>
    public static string Count(double value) => value.ToString("N0", Invariant);

    /// <summary>Milliseconds with one decimal and the unit.</summary>
    public static string Ms(double value) => value.ToString("N1", Invariant) + " ms";

    /// <summary>Bytes as kilobytes (1,024 bytes) with two decimals, without the unit.</summary>
    public static string Kb(double bytes) => (bytes / 1024).ToString("N2", Invariant);

    /// <summary>Bytes as megabytes (1,048,576 bytes) with one decimal, without the unit.</summary>
    public static string Mb(double bytes) => (bytes / 1024 / 1024).ToString("N1", Invariant);

    /// <summary>CPU seconds with three decimals, without the unit.</summary>
    public static string Cpu(double seconds) => seconds.ToString("N3", Invariant);

    /// <summary>A ratio with two decimals and a times sign.</summary>
    public static string Times(double ratio) => ratio.ToString("N2", Invariant) + "×";

    /// <summary>Writes a value that may be missing, as <see cref="NotAvailable"/> when it is.</summary>
    public static string OrNa(double? value, Func<double, string> format) => value is { } v ? format(v) : NotAvailable;

    private static string Percent(double ratio) => (ratio * 100).ToString("N1", Invariant);

    private static TargetCheck Check(
        string name, double? value, double threshold, bool atMost, Func<double, string> format, Func<double, string> formatGap)
    {
        var target = (atMost ? "≤ " : "≥ ") + format(threshold);
        if (value is not { } v)
        {
            return new(name, NotAvailable, target, NotAvailable);
        }

        var met = atMost ? v <= threshold : v >= threshold;
        return new(name, format(v), target, met ? "met" : "missed by " + formatGap(Math.Abs(v - threshold)));
    }
}
