using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// Live progress of a run: in a terminal a Spectre.Console table redrawn every second (phase, connections, offered
/// and achieved rates, latency of the last second, server RSS and CPU) above a log of finished scenarios; without a
/// terminal (CI, redirected output) plain lines.
/// </summary>
internal sealed class LiveView
{
    private readonly object _lock = new();
    private readonly List<string> _log = [];
    private readonly bool _interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
    private Sample? _last;
    private SystemUnderTest? _system;
    private string _phase = "starting";

    /// <summary>What is running now.</summary>
    public string Phase
    {
        get => _phase;
        set
        {
            _phase = value;
            _last = null;
            if (!_interactive)
            {
                Console.WriteLine(value);
            }
        }
    }

    /// <summary>Connections open so far in a connect phase.</summary>
    public int Connections { get; set; }

    /// <summary>Messages per second the senders are asked for.</summary>
    public double Offered { get; set; }

    /// <summary>The system whose RSS the view shows between samples.</summary>
    public void Observe(SystemUnderTest? system) => _system = system;

    /// <summary>A one-second sample of the running scenario.</summary>
    public void Update(Sample sample)
    {
        _last = sample;
        if (!_interactive && (int)sample.Seconds % 5 == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {sample.Seconds,5:F0} s  {sample.Connections,6:N0} conns  sent {sample.SentPerSecond,8:N0}/s  delivered {sample.DeliveriesPerSecond,9:N0}/s  p50 {sample.Latency?.P50,7:F1} ms  p99 {sample.Latency?.P99,7:F1} ms  RSS {sample.RssBytes / 1048576.0,6:F0} MB  CPU {sample.CpuPercent,4:F0} %"));
        }
    }

    /// <summary>A finished scenario or a note.</summary>
    public void Log(string line)
    {
        lock (_lock)
        {
            _log.Add(line);
        }

        if (!_interactive)
        {
            Console.WriteLine(line);
        }
    }

    /// <summary>Runs <paramref name="work"/> with the live display on.</summary>
    public async Task RunAsync(Func<Task> work)
    {
        if (!_interactive)
        {
            await work().ConfigureAwait(false);
            return;
        }

        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            var task = work();
            while (!task.IsCompleted)
            {
                context.UpdateTarget(Render());
                await Task.WhenAny(task, Task.Delay(500)).ConfigureAwait(false);
            }

            context.UpdateTarget(Render());
            await task.ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private Rows Render()
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("phase", "connections", "offered/s", "sent/s", "delivered/s", "p50", "p99", "server RSS", "server CPU");
        var s = _last;
        var rss = s?.RssBytes ?? _system?.Usage().RssBytes ?? 0;
        table.AddRow(
            Markup.Escape(_phase),
            (s?.Connections ?? Connections).ToString("N0", CultureInfo.InvariantCulture),
            Offered.ToString("N0", CultureInfo.InvariantCulture),
            s is null ? "-" : s.SentPerSecond.ToString("N0", CultureInfo.InvariantCulture),
            s is null ? "-" : s.DeliveriesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
            s?.Latency is { } l50 ? l50.P50.ToString("F1", CultureInfo.InvariantCulture) + " ms" : "-",
            s?.Latency is { } l99 ? l99.P99.ToString("F1", CultureInfo.InvariantCulture) + " ms" : "-",
            (rss / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MB",
            s is null ? "-" : s.CpuPercent.ToString("F0", CultureInfo.InvariantCulture) + " %");
        List<string> log;
        lock (_lock)
        {
            log = _log.TakeLast(12).ToList();
        }

        return new Rows(new IRenderable[] { table }.Concat(log.Select(l => new Text(l))));
    }
}
