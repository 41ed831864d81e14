using System.Globalization;

namespace BrokerChat.LoadTool.Bench;

/// <summary>Idle capacity ramp: <paramref name="Step"/> connections every <paramref name="StepSeconds"/> up to <paramref name="Target"/>, then held.</summary>
public sealed record IdlePlan(int Target, int Step, double StepSeconds, double HoldSeconds);

/// <summary>
/// Rooms of <paramref name="MembersPerRoom"/> over <paramref name="Clients"/> clients; every
/// <paramref name="SenderEvery"/>-th client sends <paramref name="Rate"/> messages/s; every
/// <paramref name="SlowEvery"/>-th client (0: none) reads slowly.
/// </summary>
public sealed record ChatPlan(int Clients, int MembersPerRoom, int SenderEvery, double Rate, int SlowEvery, double WarmupSeconds, double MeasureSeconds, int Padding = 64)
{
    /// <summary>Clients that send.</summary>
    public int Senders => (Clients + SenderEvery - 1) / SenderEvery;

    /// <summary>Rooms.</summary>
    public int Rooms => (Clients + MembersPerRoom - 1) / MembersPerRoom;
}

/// <summary>Chat rooms with every member's send rate stepped through <paramref name="Rates"/> until deliveries stop keeping up.</summary>
public sealed record SaturationPlan(int Clients, int MembersPerRoom, IReadOnlyList<double> Rates, double SettleSeconds, double MeasureSeconds, int Padding = 64);

/// <summary>What one run does; <see cref="Full"/> and <see cref="Short"/> are the two presets, adjustable from the command line.</summary>
public sealed record BenchPlan(
    string Mode,
    int Rounds,
    int LoadProcesses,
    int Sources,
    IReadOnlyList<SystemKind> Systems,
    IdlePlan? Idle,
    ChatPlan? Chat,
    ChatPlan? SlowReaders,
    ChatPlan? Broadcast,
    SaturationPlan? Saturation,
    ChatPlan? Soak,
    double SoakSampleSeconds)
{
    /// <summary>
    /// Whether BrokerChat's clients speak the reliable subprotocol (<c>--reliable</c>): their sessions are numbered
    /// and acknowledged, and the chat scenarios report the reconnection tokens sent in their streams.
    /// </summary>
    public bool Reliable { get; init; }

    private static readonly SystemKind[] AllSystems = [SystemKind.BrokerChat, SystemKind.SignalRRedis, SystemKind.Bare];

    /// <summary>The full run behind docs/benchmarks.md.</summary>
    public static BenchPlan Full { get; } = new(
        "full",
        Rounds: 2,
        LoadProcesses: 2,
        Sources: 4,
        AllSystems,
        new IdlePlan(18_000, 1_000, 2, 20),
        new ChatPlan(5_000, 10, 1, 1, 0, 10, 30),
        new ChatPlan(5_000, 10, 1, 1, 20, 10, 30),
        new ChatPlan(5_000, 5_000, 5_000, 10, 0, 10, 20),
        new SaturationPlan(1_000, 10, [2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64], 2, 4),
        new ChatPlan(5_000, 10, 1, 1, 0, 5, 30 * 60),
        10);

    /// <summary>A quick comparison in under three minutes: smaller idle ramp, chat rooms and saturation, one round.</summary>
    public static BenchPlan Short { get; } = new(
        "short",
        Rounds: 1,
        LoadProcesses: 2,
        Sources: 4,
        AllSystems,
        new IdlePlan(2_000, 1_000, 2, 2),
        new ChatPlan(1_000, 10, 1, 1, 0, 2, 8),
        null,
        null,
        new SaturationPlan(1_000, 10, [2, 4, 8, 16, 32, 64], 1, 2),
        null,
        10);

    /// <summary>Applies command-line adjustments to a preset.</summary>
    public static BenchPlan FromArgs(string[] args)
    {
        var plan = args.Contains("--short") ? Short : Full;
        if (Value(args, "--rounds") is { } rounds)
        {
            plan = plan with { Rounds = int.Parse(rounds, CultureInfo.InvariantCulture) };
        }

        if (Value(args, "--processes") is { } processes)
        {
            plan = plan with { LoadProcesses = int.Parse(processes, CultureInfo.InvariantCulture) };
        }

        if (Value(args, "--systems") is { } systems)
        {
            plan = plan with { Systems = systems.Split(',').Select(SystemUnderTest.ParseKind).ToArray() };
        }

        if (Value(args, "--scenarios") is { } scenarios)
        {
            var wanted = scenarios.Split(',').Select(s => Enum.Parse<Scenario>(s, ignoreCase: true)).ToHashSet();
            plan = plan with
            {
                Idle = wanted.Contains(Scenario.Idle) ? plan.Idle ?? Full.Idle : null,
                Chat = wanted.Contains(Scenario.Chat) ? plan.Chat ?? Full.Chat : null,
                SlowReaders = wanted.Contains(Scenario.SlowReaders) ? plan.SlowReaders ?? Full.SlowReaders : null,
                Broadcast = wanted.Contains(Scenario.Broadcast) ? plan.Broadcast ?? Full.Broadcast : null,
                Saturation = wanted.Contains(Scenario.Saturation) ? plan.Saturation ?? Full.Saturation : null,
                Soak = wanted.Contains(Scenario.Soak) ? plan.Soak ?? Full.Soak : null,
            };
        }

        if (Value(args, "--soak-minutes") is { } minutes && plan.Soak is { } soak)
        {
            var value = double.Parse(minutes, CultureInfo.InvariantCulture);
            plan = plan with { Soak = value <= 0 ? null : soak with { MeasureSeconds = value * 60 } };
        }

        if (Value(args, "--idle-target") is { } target && plan.Idle is { } idle)
        {
            plan = plan with { Idle = idle with { Target = int.Parse(target, CultureInfo.InvariantCulture) } };
        }

        return args.Contains("--reliable") ? plan with { Reliable = true } : plan;
    }

    /// <summary>The value after <paramref name="name"/> on the command line.</summary>
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
