using BrokerChat.LoadTool.Bench;

namespace BrokerChat.Tools.Tests.Bench;

/// <summary>
/// A made-up but plausible benchmark run: BrokerChat, SignalR+Redis and Bare Kestrel over every scenario. Round 1
/// measures 10% below each system's <see cref="Profile"/> and round 2 10% above, so the median of the two is the
/// profile's figure.
/// </summary>
internal static class SyntheticBenchRun
{
    /// <summary>What a system measures, before the round's spread.</summary>
    /// <param name="ChatP50">(b) chat p50, ms.</param>
    /// <param name="ChatP99">(b) chat p99, ms.</param>
    /// <param name="SaturationDeliveries">Deliveries/s at saturation.</param>
    /// <param name="IdleRssPerConnection">Idle RSS per connection, bytes.</param>
    /// <param name="CpuPer1000">CPU seconds per 1,000 chat deliveries.</param>
    /// <param name="SoakRssMbPerHour">Soak RSS growth.</param>
    public sealed record Profile(
        double ChatP50, double ChatP99, double SaturationDeliveries, double IdleRssPerConnection, double CpuPer1000, double SoakRssMbPerHour);

    public const long BaselineRss = 100L * 1024 * 1024;

    public static IReadOnlyDictionary<string, Profile> Profiles { get; } = new Dictionary<string, Profile>
    {
        ["BrokerChat"] = new(15.0, 23.0, 100_000, 6_200, 0.09, 6.0),
        [BenchFigures.SignalRRedis] = new(5.0, 10.0, 40_000, 10_400, 0.06, 1.5),
        [BenchFigures.BareKestrel] = new(1.2, 4.0, 250_000, 2_100, 0.02, 0.0),
    };

    public static BenchRun Create(IReadOnlyList<string>? systems = null, int rounds = 2)
    {
        systems ??= ["BrokerChat", BenchFigures.SignalRRedis, BenchFigures.BareKestrel];
        var results = new List<ScenarioResult>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var scenario in Enum.GetValues<Scenario>())
            {
                foreach (var system in systems)
                {
                    results.Add(Result(scenario, system, round, Profiles[system], round % 2 == 1 ? 0.9 : 1.1));
                }
            }
        }

        return new BenchRun(
            new DateTimeOffset(2026, 11, 30, 9, 15, 0, TimeSpan.Zero),
            TimeSpan.FromMinutes(83.5),
            "full",
            "dotnet run -c Release --project tests/BrokerChat.LoadTool -- bench --rounds 2",
            new MachineInfo("Debian GNU/Linux 12 (bookworm)", 2, "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
                8L * 1024 * 1024 * 1024, "10.0.12", "7.0.15", 1_048_576),
            systems,
            results,
            ["Redis ran with appendonly no."]);
    }

    public static ScenarioResult Result(Scenario scenario, string system, int round, Profile p, double spread)
    {
        var settings = scenario switch
        {
            Scenario.Idle => new ScenarioSettings(12_000, 0, 0, 0, 0, 0, 0, 24, 1, 4),
            Scenario.Broadcast => new ScenarioSettings(5_000, 1, 5_000, 1, 10, 0, 64, 60, 2, 4),
            Scenario.SlowReaders => new ScenarioSettings(2_000, 200, 10, 2_000, 1, 0.1, 64, 60, 2, 4),
            Scenario.Saturation => new ScenarioSettings(2_000, 200, 10, 2_000, 1, 0, 64, 80, 2, 4),
            Scenario.Soak => new ScenarioSettings(2_000, 200, 10, 2_000, 1, 0, 64, 600, 2, 4),
            _ => new ScenarioSettings(2_000, 200, 10, 2_000, 1, 0, 64, 60, 2, 4),
        };
        var timeline = scenario switch
        {
            Scenario.Idle => Enumerable.Range(1, 12).Select(step => IdleStep(step * 1_000, p.IdleRssPerConnection * spread)).ToArray(),
            Scenario.Saturation => Enumerable.Range(1, 8).Select(step => SaturationStep(step * 2_000.0, p, spread)).ToArray(),
            _ => Enumerable.Range(0, (int)settings.MeasuredSeconds).Select(t => Second(t, settings, p, spread)).ToArray(),
        };
        var deliveriesPerSecond = scenario == Scenario.Saturation
            ? p.SaturationDeliveries * spread
            : settings.Senders * settings.MessagesPerSecondPerSender * settings.MembersPerRoom;
        var delivered = (long)(deliveriesPerSecond * settings.MeasuredSeconds);
        var sent = scenario == Scenario.Saturation
            ? delivered / settings.MembersPerRoom
            : (long)(settings.Senders * settings.MessagesPerSecondPerSender * settings.MeasuredSeconds);
        var cpuPer1000 = scenario == Scenario.Idle ? 0 : p.CpuPer1000 * spread;
        var cpu = scenario == Scenario.Idle ? 1.5 : delivered / 1000.0 * cpuPer1000;
        var rss = timeline[^1].RssBytes;
        return new ScenarioResult(scenario, system, round, settings,
            new ScenarioSummary(
                settings.Clients, 0, settings.Clients, sent, delivered, sent * Math.Max(1, settings.MembersPerRoom), 0, deliveriesPerSecond,
                scenario == Scenario.Idle ? null : Latency(p.ChatP50 * spread, p.ChatP99 * spread),
                scenario == Scenario.SlowReaders ? Latency(p.ChatP50 * 20, p.ChatP99 * 40) : null,
                BaselineRss, rss, scenario == Scenario.Idle ? p.IdleRssPerConnection * spread : (rss - BaselineRss) / (double)settings.Clients,
                cpu, cpuPer1000, cpu * 0.8, 40, 0),
            timeline);
    }

    private static LatencySummary Latency(double p50, double p99) => new(20_000, p50, (p50 + p99) / 2, p99, p99 * 1.5, p99 * 3);

    private static Sample IdleStep(int connections, double rssPerConnection) =>
        new(connections / 500.0, connections, 0, 0, 0, null, BaselineRss + (long)(connections * rssPerConnection), 15, 30, 20L * 1024 * 1024);

    private static Sample SaturationStep(double offered, Profile p, double spread)
    {
        var capacity = p.SaturationDeliveries * spread;
        var delivered = Math.Min(offered * 10, capacity);
        var overload = offered * 10 / capacity;
        var p99 = overload <= 1 ? p.ChatP99 * spread : p.ChatP99 * spread * 50 * overload;
        return new(offered / 200, 2_000, offered, delivered / 10, delivered, Latency(p.ChatP50 * spread, p99),
            BaselineRss + 60L * 1024 * 1024, Math.Min(200, 200 * offered * 10 / capacity), 40, 30L * 1024 * 1024);
    }

    private static Sample Second(int t, ScenarioSettings s, Profile p, double spread)
    {
        var wave = 1 + 0.05 * Math.Sin(t / 5.0);
        var offered = s.Senders * s.MessagesPerSecondPerSender;
        var growth = p.SoakRssMbPerHour * 1024 * 1024 * t / 3600;
        return new(t, s.Clients, offered, offered, offered * s.MembersPerRoom * wave, Latency(p.ChatP50 * spread * wave, p.ChatP99 * spread * wave),
            BaselineRss + 50L * 1024 * 1024 + (long)growth, 120 * wave, 40, 25L * 1024 * 1024 + (long)(growth / 5));
    }
}
