using System.Globalization;
using System.Text;
using static BrokerChat.LoadTool.Bench.BenchFigures;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// The Markdown summary of a <see cref="BenchRun"/>: the run's setting, the BrokerChat ÷ peer ratios, the targets,
/// and one section per scenario with every system and round, per-step tables and the charts.
/// </summary>
public static class BenchMarkdown
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The section title of each scenario.</summary>
    public static string Title(Scenario scenario) => scenario switch
    {
        Scenario.Idle => "(a) Idle capacity ramp",
        Scenario.Chat => "(b) Chat rooms",
        Scenario.Broadcast => "(c) One big room",
        Scenario.SlowReaders => "(d) Chat rooms with slow readers",
        Scenario.Saturation => "Saturation",
        Scenario.Soak => "(e) Soak",
        _ => scenario.ToString(),
    };

    /// <summary>
    /// Renders the summary; charts are linked as <c><paramref name="chartsRelativePath"/>/file.png</c>
    /// (see <see cref="BenchCharts.Charts(BenchRun)"/> for the files).
    /// </summary>
    public static string Render(BenchRun run, string chartsRelativePath)
    {
        var md = new StringBuilder();
        var prefix = chartsRelativePath.Replace('\\', '/').TrimEnd('/');
        prefix = prefix.Length == 0 || prefix == "." ? "" : prefix + "/";

        Header(md, run);
        Ratios(md, run);
        TargetsTable(md, run);
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            var results = Results(run, scenario);
            if (results.Count == 0)
            {
                continue;
            }

            md.Append("### ").AppendLine(Title(scenario)).AppendLine();
            foreach (var settings in results.Select(r => r.Settings).Distinct())
            {
                var who = results.Select(r => r.Settings).Distinct().Count() == 1
                    ? ""
                    : string.Join(", ", results.Where(r => r.Settings == settings).Select(r => $"{r.System} round {r.Round}")) + ": ";
                md.Append(who).AppendLine(Describe(scenario, settings)).AppendLine();
            }

            SummaryTable(md, run, results);
            Action<StringBuilder, BenchRun, IReadOnlyList<ScenarioResult>>? details = scenario switch
            {
                Scenario.Idle => IdleSteps,
                Scenario.SlowReaders => SlowReaderLatency,
                Scenario.Saturation => SaturationSteps,
                Scenario.Soak => Soak,
                _ => null,
            };
            details?.Invoke(md, run, results);
            ThreadCpu(md, run, results);

            foreach (var chart in BenchCharts.Charts(run, scenario))
            {
                md.Append("![").Append(chart.Title).Append("](").Append(prefix).Append(chart.FileName).AppendLine(")").AppendLine();
            }
        }

        var missing = Enum.GetValues<Scenario>().Where(s => Results(run, s).Count == 0).Select(Title).ToArray();
        if (missing.Length > 0)
        {
            md.Append("Not measured in this run: ").AppendJoin(", ", missing).AppendLine(".").AppendLine();
        }

        return md.ToString().TrimEnd() + "\n";
    }

    private static void Header(StringBuilder md, BenchRun run)
    {
        var started = run.StartedAt.ToUniversalTime();
        md.Append("## Benchmark run of ").AppendLine(started.ToString("yyyy-MM-dd", Invariant)).AppendLine();
        md.Append("Started ").Append(started.ToString("yyyy-MM-dd HH:mm", Invariant)).Append(" UTC, ")
            .Append(run.Mode).Append(" mode, took ").Append(Duration(run.Elapsed)).AppendLine(".").AppendLine();
        md.AppendLine("```bash").AppendLine(run.Command).AppendLine("```").AppendLine();

        var m = run.Machine;
        Table(md, ["machine", ""],
        [
            ["OS", m.Os],
            ["cores", Count(m.Cores)],
            ["CPU", m.Cpu],
            ["memory", (m.MemoryBytes / 1024.0 / 1024 / 1024).ToString("N1", Invariant) + " GB"],
            [".NET", m.DotNet],
            ["Redis", m.Redis ?? NotAvailable],
            ["open files limit", Count(m.OpenFilesLimit)],
        ]);

        var rounds = run.Results.Select(r => r.Round).DefaultIfEmpty().Max();
        md.Append("Systems, in the order they alternated in each of ").Append(Count(rounds)).Append(rounds == 1 ? " round: " : " rounds: ")
            .AppendJoin(", ", run.Systems).AppendLine(".").AppendLine();
        if (run.Notes.Count > 0)
        {
            md.AppendLine("Notes:").AppendLine();
            foreach (var note in run.Notes)
            {
                md.Append("- ").AppendLine(note);
            }

            md.AppendLine();
        }
    }

    private static void Ratios(StringBuilder md, BenchRun run)
    {
        var subject = Subject(run);
        var peers = BenchFigures.Peers(run);
        md.AppendLine("### Ratios").AppendLine();
        if (peers.Count == 0)
        {
            md.AppendLine("No peer was measured.").AppendLine();
            return;
        }

        md.Append("The median of each system's rounds, and ").Append(subject).AppendLine(" ÷ peer.").AppendLine();
        var header = new List<string> { "figure", "better ratio", subject };
        foreach (var peer in peers)
        {
            header.Add(peer);
            header.Add($"{subject} ÷ {peer}");
        }

        Table(md, header, Headline.Select(figure =>
        {
            var row = new List<string>
            {
                figure.Name,
                figure.HigherIsBetter ? "higher" : "lower",
                OrNa(MedianOf(run, figure.Scenario, subject, figure.Value), figure.Format),
            };
            foreach (var peer in peers)
            {
                row.Add(OrNa(MedianOf(run, figure.Scenario, peer, figure.Value), figure.Format));
                row.Add(OrNa(Ratio(run, figure, peer), Times));
            }

            return (IReadOnlyList<string>)row;
        }));
    }

    private static void TargetsTable(StringBuilder md, BenchRun run)
    {
        md.AppendLine("### Targets").AppendLine();
        Table(md, ["target", "value", "goal", "outcome"], Targets(run).Select(t => (IReadOnlyList<string>)[t.Name, t.Value, t.Target, t.Outcome]));
    }

    private static void SummaryTable(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        Table(md,
            ["system", "round", "connected", "failures", "survivors", "sent", "delivered", "expected", "order violations",
             "deliveries/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "RSS MB", "RSS/conn KB", "CPU s",
             "CPU s/1,000 deliveries", "load CPU s", "server closed"],
            results.Select(r =>
            {
                var s = r.Summary;
                return (IReadOnlyList<string>)
                [
                    r.System, Count(r.Round), Count(s.Connected), Count(s.ConnectFailures), Count(s.Survivors),
                    Count(s.Sent), Count(s.Delivered), Count(s.Expected), Count(s.OrderViolations), Count(s.DeliveriesPerSecond),
                    .. Latencies(s.Latency), Mb(s.RssBytes), Kb(s.RssPerConnectionBytes), Seconds(s.CpuSeconds),
                    Cpu(s.CpuSecondsPer1000Deliveries), Seconds(s.LoadCpuSeconds), Count(s.ServerClosed),
                ];
            }));
    }

    /// <summary>Where each system's CPU went in its first round, by kind of thread, when the run recorded it.</summary>
    private static void ThreadCpu(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        var first = run.Systems
            .Select(system => results.Where(r => r.System == system && r.Summary.CpuByThread is { Count: > 0 }).MinBy(r => r.Round))
            .OfType<ScenarioResult>()
            .ToList();
        if (first.Count == 0)
        {
            return;
        }

        md.AppendLine("Server CPU by kind of thread in the measured window, first round, % of one core (threads under 0.5 % left out):").AppendLine();
        foreach (var result in first)
        {
            md.Append("- ").Append(result.System).Append(": ")
                .AppendJoin(", ", result.Summary.CpuByThread!.Take(10).Select(kv => $"`{kv.Key}` {kv.Value.ToString("N0", Invariant)}"))
                .AppendLine();
        }

        md.AppendLine();
    }

    private static void SlowReaderLatency(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        md.AppendLine("Latency of the slow readers:").AppendLine();
        Table(md, ["system", "round", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"],
            results.Select(r => (IReadOnlyList<string>)[r.System, Count(r.Round), .. Latencies(r.Summary.SlowReaderLatency)]));
    }

    /// <summary>Per step of each system's first round: offered messages/s, then sent/s, deliveries/s and p99 per system.</summary>
    private static void SaturationSteps(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        var firsts = SystemsIn(run, Scenario.Saturation).Select(s => FirstRound(run, Scenario.Saturation, s)!).ToArray();
        var offered = firsts.SelectMany(r => r.Timeline).Select(s => s.OfferedPerSecond).Distinct().Order().ToArray();
        if (offered.Length == 0)
        {
            return;
        }

        md.AppendLine("Per step, first round:").AppendLine();
        var header = new List<string> { "offered msg/s" };
        foreach (var result in firsts)
        {
            header.AddRange([$"{result.System} sent/s", $"{result.System} deliveries/s", $"{result.System} p99 ms"]);
        }

        Table(md, header, offered.Select(rate =>
        {
            var row = new List<string> { Count(rate) };
            foreach (var result in firsts)
            {
                var step = result.Timeline.LastOrDefault(s => s.OfferedPerSecond == rate);
                row.AddRange(step is null
                    ? [NotAvailable, NotAvailable, NotAvailable]
                    : [Count(step.SentPerSecond), Count(step.DeliveriesPerSecond), OrNa(step.Latency?.P99, OneDecimal)]);
            }

            return (IReadOnlyList<string>)row;
        }));
    }

    /// <summary>RSS per connection at up to ten steps of each system's first round, matched by step number.</summary>
    private static void IdleSteps(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        var firsts = SystemsIn(run, Scenario.Idle).Select(s => FirstRound(run, Scenario.Idle, s)!)
            .Select(r => (r.System, Baseline: r.Summary.RssBaselineBytes, Steps: r.Timeline.Where(s => s.Connections > 0).ToArray()))
            .ToArray();
        var steps = firsts.Max(f => f.Steps.Length);
        if (steps == 0)
        {
            return;
        }

        md.AppendLine("RSS per connection above the baseline (KB) as connections were added, first round:").AppendLine();
        Table(md, ["connections", .. firsts.Select(f => f.System)], Thin(steps, 10).Select(i =>
        {
            var connections = firsts.Select(f => i < f.Steps.Length ? f.Steps[i].Connections : (int?)null).FirstOrDefault(c => c is not null);
            return (IReadOnlyList<string>)
            [
                OrNa(connections, Count),
                .. firsts.Select(f =>
                {
                    if (i >= f.Steps.Length)
                    {
                        return NotAvailable;
                    }

                    var step = f.Steps[i];
                    var perConnection = Kb((step.RssBytes - f.Baseline) / (double)step.Connections);
                    return step.Connections == connections ? perConnection : $"{perConnection} ({Count(step.Connections)} connections)";
                }),
            ];
        }));
    }

    private static void Soak(StringBuilder md, BenchRun run, IReadOnlyList<ScenarioResult> results)
    {
        md.AppendLine("Memory trend (least squares over the second half of the samples, once buffers sized by age, such as the recovery buffer's `Connector:RoomHistoryAge` of 5 minutes, are full) and server threads:").AppendLine();
        Table(md, ["system", "round", "RSS slope MB/h", "managed heap slope MB/h", "threads first", "threads last"], results.Select(r =>
        {
            var half = r.Timeline.Count == 0 ? 0 : r.Timeline[^1].Seconds / 2;
            var settled = r.Timeline.Where(s => s.Seconds >= half).ToArray();
            var rss = SlopePerHour(settled.Select(s => (s.Seconds, s.RssBytes / 1024.0 / 1024)).ToArray());
            var heap = SlopePerHour(settled.Where(s => s.ManagedHeapBytes is not null).Select(s => (s.Seconds, s.ManagedHeapBytes!.Value / 1024.0 / 1024)).ToArray());
            return (IReadOnlyList<string>)
            [
                r.System, Count(r.Round), OrNa(rss, Signed), OrNa(heap, Signed),
                OrNa(r.Timeline.Count > 0 ? r.Timeline[0].ServerThreads : null, Count),
                OrNa(r.Timeline.Count > 0 ? r.Timeline[^1].ServerThreads : null, Count),
            ];
        }));
    }

    /// <summary>The scenario's settings in one line.</summary>
    public static string Describe(Scenario scenario, ScenarioSettings s)
    {
        var text = new StringBuilder();
        text.Append(Count(s.Clients)).Append(" clients");
        if (s.Rooms > 0)
        {
            text.Append(" in ").Append(Count(s.Rooms)).Append(s.Rooms == 1 ? " room of " : " rooms of ").Append(Count(s.MembersPerRoom));
        }

        if (s.Senders > 0)
        {
            text.Append(", ").Append(Count(s.Senders)).Append(s.Senders == 1 ? " sender at " : " senders at ")
                .Append(s.MessagesPerSecondPerSender.ToString("0.###", Invariant)).Append(" msg/s")
                .Append(s.Senders == 1 ? "" : " each").Append(scenario == Scenario.Saturation ? " at the first step" : "");
        }

        if (s.SlowFraction > 0)
        {
            text.Append(", ").Append((s.SlowFraction * 100).ToString("0.#", Invariant)).Append("% slow readers");
        }

        if (s.PayloadBytes > 0)
        {
            text.Append(", ").Append(Count(s.PayloadBytes)).Append(" B payload");
        }

        text.Append(", measured ").Append(s.MeasuredSeconds.ToString("#,##0.#", Invariant)).Append(" s, from ").Append(Count(s.LoadProcesses))
            .Append(s.LoadProcesses == 1 ? " load process over " : " load processes over ").Append(Count(s.SourceAddresses))
            .Append(s.SourceAddresses == 1 ? " source address." : " source addresses.");
        return text.ToString();
    }

    /// <summary>Up to <paramref name="most"/> indices spread evenly over <c>0 … count − 1</c>, the first and the last included.</summary>
    public static IReadOnlyList<int> Thin(int count, int most) =>
        count <= most
            ? Enumerable.Range(0, count).ToArray()
            : Enumerable.Range(0, most).Select(i => (int)Math.Round(i * (count - 1) / (double)(most - 1))).Distinct().ToArray();

    /// <summary>A duration as hours and minutes, minutes and seconds, or seconds.</summary>
    public static string Duration(TimeSpan elapsed) => elapsed.TotalHours >= 1
        ? $"{(int)elapsed.TotalHours} h {elapsed.Minutes:00} min"
        : elapsed.TotalMinutes >= 1
            ? $"{(int)elapsed.TotalMinutes} min {elapsed.Seconds:00} s"
            : elapsed.TotalSeconds.ToString("0.#", Invariant) + " s";

    private static string[] Latencies(LatencySummary? latency) => latency is null
        ? [NotAvailable, NotAvailable, NotAvailable, NotAvailable, NotAvailable]
        : [OneDecimal(latency.P50), OneDecimal(latency.P90), OneDecimal(latency.P99), OneDecimal(latency.P999), OneDecimal(latency.Max)];

    private static string OneDecimal(double value) => value.ToString("N1", Invariant);

    private static string Seconds(double value) => value.ToString("N1", Invariant);

    private static string Signed(double value) => value.ToString("+#,##0.0;−#,##0.0;0.0", Invariant);

    private static void Table(StringBuilder md, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        md.Append("| ").AppendJoin(" | ", header.Select(Cell)).AppendLine(" |");
        md.Append('|').AppendJoin('|', header.Select(_ => "---")).AppendLine("|");
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row.Select(Cell)).AppendLine(" |");
        }

        md.AppendLine();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
