using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// <c>bench</c>: runs every scenario of a <see cref="BenchPlan"/> against BrokerChat and its peers, each system
/// started fresh for each scenario and the systems alternating (A B C, then C B A) so drift of the machine cancels
/// out, with the clients spread over several load processes and 127.0.0.x source addresses. Writes results.json,
/// summary.md and charts, and (full runs) regenerates the measured part of docs/benchmarks.md.
/// </summary>
public sealed class BenchRunner : IAsyncDisposable
{
    private readonly BenchPlan _plan;
    private readonly LiveView _view;
    private readonly List<DriverProcess> _drivers = [];
    private readonly object _tickLock = new();
    private readonly Dictionary<int, int> _connections = [];
    private TickTotals _ticks = new();
    private int _runNumber;

    private BenchRunner(BenchPlan plan, LiveView view)
    {
        _plan = plan;
        _view = view;
    }

    /// <summary>Entry point of the <c>bench</c> command.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var plan = BenchPlan.FromArgs(args);
        var root = RepoRoot();
        var outDir = BenchPlan.Value(args, "--out") ?? (plan.Mode == "full"
            ? Path.Combine(root, "docs", "benchmarks")
            : Path.Combine(root, "BenchmarkResults", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        var docs = args.Contains("--no-docs") ? null
            : BenchPlan.Value(args, "--docs") ?? (plan.Mode == "full" ? Path.Combine(root, "docs", "benchmarks.md") : null);
        var notes = new List<string>();
        var micro = args.Contains("--micro-only") || (plan.Mode == "full" ? !args.Contains("--no-micro") : args.Contains("--micro"));
        if (args.Contains("--micro-only"))
        {
            return await RunMicroAsync(root, Path.Combine(root, "BenchmarkResults", "micro"), docs ?? Path.Combine(root, "docs", "benchmarks.md"), notes).ConfigureAwait(false);
        }

        var redis = SystemUnderTest.RedisVersion();
        if (plan.Systems.Contains(SystemKind.SignalRRedis) && redis is null)
        {
            redis = RedisInstaller.TryInstall(notes);
            if (redis is null)
            {
                plan = plan with { Systems = plan.Systems.Where(s => s != SystemKind.SignalRRedis).ToArray() };
            }
        }

        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var results = new List<ScenarioResult>();
        await using (var runner = new BenchRunner(plan, new LiveView()))
        {
            await runner._view.RunAsync(async () =>
            {
                runner.StartDrivers();
                results.AddRange(await runner.RunAllAsync(notes).ConfigureAwait(false));
            }).ConfigureAwait(false);
        }

        var run = new BenchRun(
            started,
            clock.Elapsed,
            plan.Mode,
            "dotnet run -c Release --project tests/BrokerChat.LoadTool -- bench" + (args.Length > 1 ? " " + string.Join(' ', args.Skip(1)) : string.Empty),
            Machine(redis),
            plan.Systems.Select(SystemUnderTest.DisplayName).ToArray(),
            results,
            notes);
        await BenchReportWriter.WriteAsync(run, outDir).ConfigureAwait(false);
        Console.WriteLine($"Results: {outDir}");
        if (docs is not null)
        {
            var relative = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(docs))!, Path.GetFullPath(outDir)).Replace('\\', '/');
            BenchReportWriter.UpdateDocs(docs, BenchMarkdown.Render(run, relative));
            Console.WriteLine($"Updated {docs}");
        }

        return micro ? await RunMicroAsync(root, Path.Combine(root, "BenchmarkResults", "micro"), docs, notes).ConfigureAwait(false) : 0;
    }

    /// <summary>Runs the micro-benchmarks and puts their tables into <paramref name="docs"/> (when given).</summary>
    private static async Task<int> RunMicroAsync(string root, string artifacts, string? docs, List<string> notes)
    {
        var section = await MicroBenchmarks.RunAsync(root, artifacts, notes).ConfigureAwait(false);
        if (section is null)
        {
            Console.Error.WriteLine(string.Join('\n', notes));
            return 1;
        }

        if (docs is not null)
        {
            MicroBenchmarks.UpdateDocs(docs, section);
            Console.WriteLine($"Updated the micro-benchmarks in {docs}");
        }
        else
        {
            Console.WriteLine(section);
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var driver in _drivers)
        {
            await driver.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void StartDrivers()
    {
        for (var i = 0; i < _plan.LoadProcesses; i++)
        {
            var index = i;
            _drivers.Add(DriverProcess.Start(tick => OnTick(index, tick)));
        }
    }

    private async Task<List<ScenarioResult>> RunAllAsync(List<string> notes)
    {
        var results = new List<ScenarioResult>();
        var scenarios = new List<(Scenario Scenario, Func<SystemUnderTest, int, Task<ScenarioResult>> Run)>();
        if (_plan.Idle is { } idle)
        {
            scenarios.Add((Scenario.Idle, (s, r) => RunIdleAsync(s, r, idle)));
        }

        if (_plan.Chat is { } chat)
        {
            scenarios.Add((Scenario.Chat, (s, r) => RunChatAsync(s, r, Scenario.Chat, chat, 1)));
        }

        if (_plan.Broadcast is { } broadcast)
        {
            scenarios.Add((Scenario.Broadcast, (s, r) => RunChatAsync(s, r, Scenario.Broadcast, broadcast, 1)));
        }

        if (_plan.SlowReaders is { } slow)
        {
            scenarios.Add((Scenario.SlowReaders, (s, r) => RunChatAsync(s, r, Scenario.SlowReaders, slow, 1)));
        }

        if (_plan.Saturation is { } saturation)
        {
            scenarios.Add((Scenario.Saturation, (s, r) => RunSaturationAsync(s, r, saturation)));
        }

        foreach (var (scenario, run) in scenarios)
        {
            for (var round = 1; round <= _plan.Rounds; round++)
            {
                var order = round % 2 == 1 ? _plan.Systems : _plan.Systems.Reverse().ToArray();
                foreach (var kind in order)
                {
                    if (await RunOneAsync(kind, scenario, round, run, notes).ConfigureAwait(false) is { } result)
                    {
                        results.Add(result);
                    }
                }
            }
        }

        if (_plan.Soak is { } soak && _plan.Systems.Contains(SystemKind.BrokerChat))
        {
            if (await RunOneAsync(SystemKind.BrokerChat, Scenario.Soak, 1, (s, r) => RunChatAsync(s, r, Scenario.Soak, soak, _plan.SoakSampleSeconds), notes).ConfigureAwait(false) is { } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    private async Task<ScenarioResult?> RunOneAsync(SystemKind kind, Scenario scenario, int round, Func<SystemUnderTest, int, Task<ScenarioResult>> run, List<string> notes)
    {
        _view.Phase = $"{scenario} · {SystemUnderTest.DisplayName(kind)} · round {round}: starting";
        try
        {
            await using var system = await SystemUnderTest.StartAsync(kind).ConfigureAwait(false);
            _view.Phase = $"{scenario} · {system.Name} · round {round}";
            _view.Observe(system);
            try
            {
                var result = await run(system, round).ConfigureAwait(false);
                _view.Log(Line(result));
                return result;
            }
            finally
            {
                _view.Observe(null);
                await AllAsync(new JsonObject { ["op"] = "disconnect" }, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or OperationCanceledException)
        {
            var note = $"{scenario}, {SystemUnderTest.DisplayName(kind)}, round {round}: not measured ({ex.GetType().Name}: {ex.Message})";
            notes.Add(note);
            _view.Log(note);
            return null;
        }
    }

    /// <summary>The connector's counter of reconnection tokens sent after a session's first, as /metrics names it.</summary>
    private const string TokenRefreshesMetric = "brokerchat_connector_sessions_token_refreshes_total";

    private async Task SetupAsync(SystemUnderTest system, int membersPerRoom, int slowEvery)
    {
        var prefix = "r" + Interlocked.Increment(ref _runNumber).ToString(CultureInfo.InvariantCulture) + "-";
        for (var i = 0; i < _drivers.Count; i++)
        {
            await _drivers[i].SendAsync(new JsonObject
            {
                ["op"] = "setup",
                ["protocol"] = (_plan.Reliable && system.IsBrokerChat ? WireProtocol.WebPubSubReliable : system.Protocol).ToString(),
                ["url"] = system.ClientUrl.ToString(),
                ["membersPerRoom"] = membersPerRoom,
                ["roomPrefix"] = prefix,
                ["index"] = i,
                ["processes"] = _drivers.Count,
                ["sources"] = _plan.Sources,
                ["slowEvery"] = slowEvery,
            }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
    }

    /// <summary>Connects clients [from, to) across the load processes; returns (connected, failed, connect p99 ms).</summary>
    private async Task<(int Ok, int Failed, double P99)> ConnectAsync(int from, int to)
    {
        var replies = await AllAsync(new JsonObject { ["op"] = "connect", ["from"] = from, ["to"] = to, ["concurrency"] = 100 }, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        if (replies.Select(r => (string?)r["error"]).FirstOrDefault(e => e is not null) is { } error)
        {
            _view.Log($"connect: {error}");
        }

        return (replies.Sum(r => (int)r["ok"]!), replies.Sum(r => (int)r["failed"]!), replies.Max(r => (double?)r["p99"] ?? double.NaN));
    }

    private async Task<(int Ok, int Failed)> ConnectAllAsync(int clients)
    {
        int ok = 0, failed = 0;
        for (var from = 0; from < clients; from += 1_000)
        {
            var step = await ConnectAsync(from, Math.Min(clients, from + 1_000)).ConfigureAwait(false);
            ok += step.Ok;
            failed += step.Failed;
            _view.Connections = ok;
        }

        return (ok, failed);
    }

    private async Task<ScenarioResult> RunIdleAsync(SystemUnderTest system, int round, IdlePlan plan)
    {
        await SetupAsync(system, 0, 0).ConfigureAwait(false);
        var baseline = await SettledUsageAsync(system).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var timeline = new List<Sample>();
        int connected = 0, failed = 0;
        var top = baseline;
        for (var from = 0; from < plan.Target; from += plan.Step)
        {
            var stepStarted = Stopwatch.GetTimestamp();
            var step = await ConnectAsync(from, Math.Min(plan.Target, from + plan.Step)).ConfigureAwait(false);
            connected += step.Ok;
            failed += step.Failed;
            _view.Connections = connected;
            top = system.Usage();
            timeline.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalSeconds, connected, 0, 0, 0, null, top.RssBytes, 0, top.Threads, await system.ManagedHeapAsync().ConfigureAwait(false)));
            var remaining = TimeSpan.FromSeconds(plan.StepSeconds) - Stopwatch.GetElapsedTime(stepStarted);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining).ConfigureAwait(false);
            }
        }

        var cpuBefore = system.Usage().CpuSeconds;
        await Task.Delay(TimeSpan.FromSeconds(plan.HoldSeconds)).ConfigureAwait(false);
        var end = system.Usage();
        var summaries = await AllAsync(new JsonObject { ["op"] = "summary" }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var survivors = summaries.Sum(s => (int)s["connections"]!);
        timeline.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalSeconds, survivors, 0, 0, 0, null, end.RssBytes, 100 * (end.CpuSeconds - cpuBefore) / plan.HoldSeconds, end.Threads, await system.ManagedHeapAsync().ConfigureAwait(false)));
        var settings = new ScenarioSettings(plan.Target, 0, 0, 0, 0, 0, 0, plan.HoldSeconds, _drivers.Count, _plan.Sources);
        var summary = new ScenarioSummary(
            connected, failed, survivors, 0, 0, 0, 0, 0, null, null,
            baseline.RssBytes, top.RssBytes, connected == 0 ? 0 : (top.RssBytes - baseline.RssBytes) / (double)connected,
            end.CpuSeconds - cpuBefore, 0, 0, end.Threads, summaries.Sum(s => (int)s["closed"]!));
        return new ScenarioResult(Scenario.Idle, system.Name, round, settings, summary, timeline);
    }

    private async Task<ScenarioResult> RunChatAsync(SystemUnderTest system, int round, Scenario scenario, ChatPlan plan, double sampleSeconds)
    {
        await SetupAsync(system, plan.MembersPerRoom, plan.SlowEvery).ConfigureAwait(false);
        var baseline = await SettledUsageAsync(system).ConfigureAwait(false);
        var refreshesBefore = await system.MetricSeriesAsync(TokenRefreshesMetric).ConfigureAwait(false) ?? [];
        var connecting = Stopwatch.GetTimestamp();
        var (connected, failed) = await ConnectAllAsync(plan.Clients).ConfigureAwait(false);
        var offered = plan.Senders * plan.Rate;
        _view.Offered = offered;
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(plan.WarmupSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(plan.MeasureSeconds * Stopwatch.Frequency);
        using var sampling = new CancellationTokenSource();
        var timeline = new List<Sample>();
        var sampler = SampleAsync(system, started, offered, sampleSeconds, timeline, sampling.Token);
        await AllAsync(Load(plan.Rate, plan.SenderEvery, plan.Padding, measureFrom, measureTo), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await DelayUntilAsync(measureFrom).ConfigureAwait(false);
        var before = system.Usage();
        var threadsBefore = system.ThreadCpu();
        var loadBefore = ProcessUsage.Of(_drivers.Select(d => d.ProcessId));
        await DelayUntilAsync(measureTo).ConfigureAwait(false);
        var after = system.Usage();
        if (_plan.Reliable && await system.MetricSeriesAsync(TokenRefreshesMetric).ConfigureAwait(false) is { } refreshes && connected > 0)
        {
            // After each session's first token; the join every client makes after connecting is one ("group").
            var minutes = Stopwatch.GetElapsedTime(connecting).TotalMinutes;
            var byReason = string.Join(", ", refreshes.Select(r => (r.Key, Count: r.Value - refreshesBefore.GetValueOrDefault(r.Key))).Where(r => r.Count > 0)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key.Trim('{', '}')}: {r.Count:N0} ({r.Count / (double)connected / minutes:F3} per connection per minute)")));
            _view.Log(string.Create(CultureInfo.InvariantCulture, $"  {system.Name}: reconnection token refreshes over {connected:N0} reliable connections in {minutes:F2} min: {(byReason.Length == 0 ? "none" : byReason)}"));
        }

        // Threads that end inside the window take their time with them, so long windows are not broken down.
        var byThread = plan.MeasureSeconds <= 120 ? CpuByThread(threadsBefore, system.ThreadCpu(), plan.MeasureSeconds) : null;
        var loadAfter = ProcessUsage.Of(_drivers.Select(d => d.ProcessId));
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await AllAsync(new JsonObject { ["op"] = "stop" }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        _view.Offered = 0;
        var measured = await MeasuredAsync().ConfigureAwait(false);
        var cpu = after.CpuSeconds - before.CpuSeconds;
        var settings = new ScenarioSettings(plan.Clients, plan.Rooms, plan.MembersPerRoom, plan.Senders, plan.Rate, plan.SlowEvery == 0 ? 0 : 1.0 / plan.SlowEvery, plan.Padding, plan.MeasureSeconds, _drivers.Count, _plan.Sources);
        var summary = new ScenarioSummary(
            connected, failed, measured.Connections, measured.Sent, measured.Received, measured.Sent * Math.Min(plan.MembersPerRoom, plan.Clients), measured.Order,
            measured.Received / plan.MeasureSeconds, measured.Latency.Summarize(), measured.SlowLatency.Summarize(),
            baseline.RssBytes, after.RssBytes, connected == 0 ? 0 : (after.RssBytes - baseline.RssBytes) / (double)connected,
            cpu, measured.Received == 0 ? 0 : cpu * 1000 / measured.Received, loadAfter.CpuSeconds - loadBefore.CpuSeconds, after.Threads, measured.Closed, byThread);
        return new ScenarioResult(scenario, system.Name, round, settings, summary, timeline);
    }

    private async Task<ScenarioResult> RunSaturationAsync(SystemUnderTest system, int round, SaturationPlan plan)
    {
        await SetupAsync(system, plan.MembersPerRoom, 0).ConfigureAwait(false);
        var baseline = await SettledUsageAsync(system).ConfigureAwait(false);
        var (connected, failed) = await ConnectAllAsync(plan.Clients).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var timeline = new List<Sample>();
        var best = (Rate: 0.0, Delivered: 0.0, Measured: default(Measured), Cpu: 0.0, LoadCpu: 0.0, Usage: baseline);
        Measured last = default;

        // Warm up at the first rate (JIT, pools, the broker's first batches) so the first step is not judged cold.
        await AllAsync(Load(plan.Rates[0], 1, plan.Padding, long.MaxValue, long.MaxValue), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        foreach (var rate in plan.Rates)
        {
            var offered = plan.Clients * rate;
            _view.Offered = offered;
            await AllAsync(new JsonObject { ["op"] = "reset" }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var measureFrom = Stopwatch.GetTimestamp() + (long)(plan.SettleSeconds * Stopwatch.Frequency);
            var measureTo = measureFrom + (long)(plan.MeasureSeconds * Stopwatch.Frequency);
            await AllAsync(Load(rate, 1, plan.Padding, measureFrom, measureTo), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await DelayUntilAsync(measureFrom).ConfigureAwait(false);
            var before = system.Usage();
            var loadBefore = ProcessUsage.Of(_drivers.Select(d => d.ProcessId));
            await DelayUntilAsync(measureTo).ConfigureAwait(false);
            var after = system.Usage();
            var loadAfter = ProcessUsage.Of(_drivers.Select(d => d.ProcessId));
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            last = await MeasuredAsync().ConfigureAwait(false);
            var delivered = last.Received / plan.MeasureSeconds;
            var expected = last.Sent * plan.MembersPerRoom;
            var latency = last.Latency.Summarize();
            timeline.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalSeconds, last.Connections, offered, last.Sent / plan.MeasureSeconds, delivered, latency, after.RssBytes, 100 * (after.CpuSeconds - before.CpuSeconds) / plan.MeasureSeconds, after.Threads, await system.ManagedHeapAsync().ConfigureAwait(false)));
            var keptUp = expected > 0 && last.Received >= 0.95 * expected && last.Sent >= 0.9 * offered * plan.MeasureSeconds && latency is { P99: < 1000 };
            _view.Log(string.Create(CultureInfo.InvariantCulture, $"  {system.Name} {rate} msg/s per client: offered {offered:N0}/s, sent {last.Sent / plan.MeasureSeconds:N0}/s, delivered {delivered:N0}/s, p99 {latency?.P99:F1} ms{(keptUp ? string.Empty : " — not keeping up")}"));
            if (keptUp && delivered > best.Delivered)
            {
                best = (rate, delivered, last, after.CpuSeconds - before.CpuSeconds, loadAfter.CpuSeconds - loadBefore.CpuSeconds, after);
            }

            if (!keptUp)
            {
                break;
            }
        }

        await AllAsync(new JsonObject { ["op"] = "stop" }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _view.Offered = 0;
        var m = best.Measured;
        var settings = new ScenarioSettings(plan.Clients, (plan.Clients + plan.MembersPerRoom - 1) / plan.MembersPerRoom, plan.MembersPerRoom, plan.Clients, plan.Rates[0], 0, plan.Padding, plan.MeasureSeconds, _drivers.Count, _plan.Sources);
        var summary = new ScenarioSummary(
            connected, failed, last.Connections, m.Sent, m.Received, m.Sent * plan.MembersPerRoom, m.Order, best.Delivered,
            m.Latency?.Summarize(), null, baseline.RssBytes, best.Usage.RssBytes, connected == 0 ? 0 : (best.Usage.RssBytes - baseline.RssBytes) / (double)connected,
            best.Cpu, m.Received == 0 ? 0 : best.Cpu * 1000 / m.Received, best.LoadCpu, best.Usage.Threads, last.Closed);
        return new ScenarioResult(Scenario.Saturation, system.Name, round, settings, summary, timeline);
    }

    /// <summary>Percent of one core per kind of thread between two readings, the busiest first, idle kinds left out.</summary>
    private static Dictionary<string, double> CpuByThread(Dictionary<string, double> before, Dictionary<string, double> after, double seconds) =>
        after.Select(kv => (kv.Key, Percent: 100 * (kv.Value - before.GetValueOrDefault(kv.Key)) / seconds))
            .Where(x => x.Percent >= 0.5)
            .OrderByDescending(x => x.Percent)
            .ToDictionary(x => x.Key, x => Math.Round(x.Percent, 1), StringComparer.Ordinal);

    private static JsonObject Load(double rate, int senderEvery, int padding, long measureFrom, long measureTo) => new()
    {
        ["op"] = "load",
        ["rate"] = rate,
        ["senderEvery"] = senderEvery,
        ["padding"] = padding,
        ["measureFrom"] = measureFrom,
        ["measureTo"] = measureTo,
    };

    private async Task<Measured> MeasuredAsync()
    {
        var replies = await AllAsync(new JsonObject { ["op"] = "summary" }, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var latency = new LatencyHistogram();
        var slow = new LatencyHistogram();
        foreach (var reply in replies)
        {
            latency.Add(LatencyHistogram.FromJson(reply["hist"]!.AsArray()));
            slow.Add(LatencyHistogram.FromJson(reply["slowHist"]!.AsArray()));
        }

        return new Measured(
            replies.Sum(r => (long)r["sent"]!),
            replies.Sum(r => (long)r["received"]!),
            replies.Sum(r => (long)r["order"]!),
            replies.Sum(r => (int)r["connections"]!),
            replies.Sum(r => (int)r["closed"]!),
            latency,
            slow);
    }

    private async Task SampleAsync(SystemUnderTest system, long started, double offered, double everySeconds, List<Sample> timeline, CancellationToken cancellationToken)
    {
        TakeTicks();
        var last = system.Usage();
        var lastAt = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(everySeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var ticks = TakeTicks();
                var usage = system.Usage();
                var now = Stopwatch.GetTimestamp();
                var seconds = Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
                var sample = new Sample(
                    Stopwatch.GetElapsedTime(started, now).TotalSeconds,
                    ticks.Connections,
                    offered,
                    ticks.Sent / seconds,
                    ticks.Received / seconds,
                    ticks.Latency.Summarize(),
                    usage.RssBytes,
                    100 * (usage.CpuSeconds - last.CpuSeconds) / seconds,
                    usage.Threads,
                    await system.ManagedHeapAsync().ConfigureAwait(false));
                timeline.Add(sample);
                _view.Update(sample);
                last = usage;
                lastAt = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnTick(int driver, JsonObject tick)
    {
        var latency = LatencyHistogram.FromJson(tick["hist"]!.AsArray());
        lock (_tickLock)
        {
            _ticks.Sent += (long)tick["sent"]!;
            _ticks.Received += (long)tick["received"]!;
            _ticks.Latency.Add(latency);
            _connections[driver] = (int)tick["connections"]!;
        }
    }

    private (long Sent, long Received, int Connections, LatencyHistogram Latency) TakeTicks()
    {
        lock (_tickLock)
        {
            var taken = _ticks;
            _ticks = new TickTotals();
            return (taken.Sent, taken.Received, _connections.Values.Sum(), taken.Latency);
        }
    }

    private async Task<JsonObject[]> AllAsync(JsonObject command, TimeSpan timeout) =>
        await Task.WhenAll(_drivers.Select(d => d.SendAsync((JsonObject)command.DeepClone(), timeout))).ConfigureAwait(false);

    /// <summary>Usage once the freshly started system has had a moment to settle (JIT, first collections).</summary>
    private static async Task<ProcessUsage> SettledUsageAsync(SystemUnderTest system)
    {
        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        return system.Usage();
    }

    private static async Task DelayUntilAsync(long timestamp)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait).ConfigureAwait(false);
        }
    }

    private static string Line(ScenarioResult r)
    {
        var s = r.Summary;
        return r.Scenario == Scenario.Idle
            ? string.Create(CultureInfo.InvariantCulture, $"{r.Scenario} {r.System} round {r.Round}: {s.Connected:N0} connected, {s.ConnectFailures} failed, {s.Survivors:N0} survived; RSS {s.RssPerConnectionBytes / 1024:F2} KB per connection")
            : string.Create(CultureInfo.InvariantCulture, $"{r.Scenario} {r.System} round {r.Round}: delivered {s.Delivered:N0} of {s.Expected:N0} ({s.DeliveriesPerSecond:N0}/s), p50 {s.Latency?.P50:F1} ms, p99 {s.Latency?.P99:F1} ms, p99.9 {s.Latency?.P999:F1} ms, order violations {s.OrderViolations}, CPU {s.CpuSecondsPer1000Deliveries * 1000:F1} ms per 1,000 deliveries");
    }

    private static MachineInfo Machine(string? redis)
    {
        string Read(string file, string key) => File.Exists(file)
            ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        var memory = Read("/proc/meminfo", "MemTotal").Split(' ')[0];
        var limit = File.Exists("/proc/self/limits")
            ? File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]
            : null;
        return new MachineInfo(
            RuntimeInformation.OSDescription,
            Environment.ProcessorCount,
            Read("/proc/cpuinfo", "model name"),
            long.TryParse(memory, out var kb) ? kb * 1024 : 0,
            RuntimeInformation.FrameworkDescription,
            redis,
            long.TryParse(limit, out var files) ? files : 0);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BrokerChat.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private sealed class TickTotals
    {
        public long Sent { get; set; }

        public long Received { get; set; }

        public LatencyHistogram Latency { get; } = new();
    }

    private readonly record struct Measured(long Sent, long Received, long Order, int Connections, int Closed, LatencyHistogram Latency, LatencyHistogram SlowLatency);
}
