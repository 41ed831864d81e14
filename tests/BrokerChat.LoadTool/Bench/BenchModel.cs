using System.Text.Json;
using System.Text.Json.Serialization;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// Everything one benchmark run measured: written as <c>results.json</c>, and the only input of the Markdown summary
/// and the charts, so a report can be rendered again from a saved run.
/// </summary>
/// <param name="StartedAt">When the run began.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="Mode"><c>full</c> or <c>short</c>.</param>
/// <param name="Command">The command line that produced the run, as a user would type it.</param>
/// <param name="Machine">Where it ran.</param>
/// <param name="Systems">The systems measured, BrokerChat first, in the order they alternated.</param>
/// <param name="Results">One entry per scenario, system and round.</param>
/// <param name="Notes">Anything the run wants the reader to know (a peer that could not start, a scenario cut short).</param>
public sealed record BenchRun(
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    string Mode,
    string Command,
    MachineInfo Machine,
    IReadOnlyList<string> Systems,
    IReadOnlyList<ScenarioResult> Results,
    IReadOnlyList<string> Notes)
{
    /// <summary>JSON settings for results files: camelCase, indented, enums as strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };
}

/// <summary>The machine a run was measured on.</summary>
/// <param name="Os">Operating system description.</param>
/// <param name="Cores">Logical processors.</param>
/// <param name="Cpu">CPU model name from /proc/cpuinfo.</param>
/// <param name="MemoryBytes">Total memory.</param>
/// <param name="DotNet">.NET runtime version.</param>
/// <param name="Redis">redis-server version, when one was used.</param>
/// <param name="OpenFilesLimit">Per-process open files limit.</param>
public sealed record MachineInfo(string Os, int Cores, string Cpu, long MemoryBytes, string DotNet, string? Redis, long OpenFilesLimit);

/// <summary>The scenarios of a run.</summary>
public enum Scenario
{
    /// <summary>(a) Idle capacity ramp: connections added in steps, held, survivors counted.</summary>
    Idle,

    /// <summary>(b) Chat rooms: R rooms of M members, every member sending at r messages/s.</summary>
    Chat,

    /// <summary>(c) One big room: one sender broadcasting to every member.</summary>
    Broadcast,

    /// <summary>(d) Chat rooms with a fraction of the clients reading slowly.</summary>
    SlowReaders,

    /// <summary>Chat rooms with the send rate raised step by step until deliveries stop keeping up.</summary>
    Saturation,

    /// <summary>(e) Soak: chat rooms held for a long time, memory and tasks sampled.</summary>
    Soak,
}

/// <summary>One scenario run against one system.</summary>
/// <param name="Scenario">Which scenario.</param>
/// <param name="System">Which system (a name from <see cref="BenchRun.Systems"/>).</param>
/// <param name="Round">1-based round; systems alternate within a round.</param>
/// <param name="Settings">The load applied.</param>
/// <param name="Summary">What was measured over the measured window.</param>
/// <param name="Timeline">One sample per second (per step for <see cref="Scenario.Idle"/> and <see cref="Scenario.Saturation"/>).</param>
public sealed record ScenarioResult(
    Scenario Scenario,
    string System,
    int Round,
    ScenarioSettings Settings,
    ScenarioSummary Summary,
    IReadOnlyList<Sample> Timeline);

/// <summary>The load a scenario applied.</summary>
/// <param name="Clients">Connections opened.</param>
/// <param name="Rooms">Rooms (0 for idle).</param>
/// <param name="MembersPerRoom">Members per room.</param>
/// <param name="Senders">Clients that send.</param>
/// <param name="MessagesPerSecondPerSender">Send rate of each sender (the first step's rate for saturation).</param>
/// <param name="SlowFraction">Fraction of clients that read slowly.</param>
/// <param name="PayloadBytes">Size of the application payload in each message.</param>
/// <param name="MeasuredSeconds">Length of the measured window (warm-up excluded).</param>
/// <param name="LoadProcesses">Load-generating processes the clients were spread over.</param>
/// <param name="SourceAddresses">127.0.0.x source addresses the clients were spread over.</param>
public sealed record ScenarioSettings(
    int Clients,
    int Rooms,
    int MembersPerRoom,
    int Senders,
    double MessagesPerSecondPerSender,
    double SlowFraction,
    int PayloadBytes,
    double MeasuredSeconds,
    int LoadProcesses,
    int SourceAddresses);

/// <summary>What a scenario measured over its measured window.</summary>
/// <param name="Connected">Connections open when the load started.</param>
/// <param name="ConnectFailures">Connections that could not be opened.</param>
/// <param name="Survivors">Connections still open at the end.</param>
/// <param name="Sent">Messages sent in the measured window.</param>
/// <param name="Delivered">Messages received by clients in the measured window (every receipt counts).</param>
/// <param name="Expected">Receipts the sends should have produced (sent × room size).</param>
/// <param name="OrderViolations">Receipts that arrived before an earlier message of the same sender in the same room.</param>
/// <param name="DeliveriesPerSecond">Delivered / measured seconds; for saturation, the best step that kept up.</param>
/// <param name="Latency">Send → receipt latency of every receipt by a normal-speed reader.</param>
/// <param name="SlowReaderLatency">The same, for slow readers only (slow-readers scenario).</param>
/// <param name="RssBaselineBytes">Server RSS before any client connected.</param>
/// <param name="RssBytes">Server RSS at the end of the measured window (idle: at the top of the ramp).</param>
/// <param name="RssPerConnectionBytes">(RSS − baseline) / connections.</param>
/// <param name="CpuSeconds">Server CPU time (user + system, every server process incl. Redis) in the measured window.</param>
/// <param name="CpuSecondsPer1000Deliveries">CpuSeconds per 1,000 deliveries.</param>
/// <param name="LoadCpuSeconds">CPU time of the load processes in the measured window.</param>
/// <param name="ServerThreads">Server threads at the end.</param>
/// <param name="ServerClosed">Connections the server closed during the run (slow consumers, timeouts).</param>
/// <param name="CpuByThread">
/// Server CPU in the measured window by kind of thread (thread names with their numbers dropped; for a system of
/// several processes, prefixed with the process), in percent of one core: where the time went.
/// </param>
public sealed record ScenarioSummary(
    int Connected,
    int ConnectFailures,
    int Survivors,
    long Sent,
    long Delivered,
    long Expected,
    long OrderViolations,
    double DeliveriesPerSecond,
    LatencySummary? Latency,
    LatencySummary? SlowReaderLatency,
    long RssBaselineBytes,
    long RssBytes,
    double RssPerConnectionBytes,
    double CpuSeconds,
    double CpuSecondsPer1000Deliveries,
    double LoadCpuSeconds,
    int ServerThreads,
    int ServerClosed,
    IReadOnlyDictionary<string, double>? CpuByThread = null);

/// <summary>Latency percentiles in milliseconds.</summary>
/// <param name="Count">Receipts measured.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="P999">99.9th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max);

/// <summary>One point of a scenario's timeline.</summary>
/// <param name="Seconds">Seconds since the scenario started.</param>
/// <param name="Connections">Open connections.</param>
/// <param name="OfferedPerSecond">Messages the senders were asked to send per second.</param>
/// <param name="SentPerSecond">Messages sent per second.</param>
/// <param name="DeliveriesPerSecond">Receipts per second.</param>
/// <param name="Latency">Latency of the receipts in this interval.</param>
/// <param name="RssBytes">Server RSS (every server process).</param>
/// <param name="CpuPercent">Server CPU in this interval, 100 = one core.</param>
/// <param name="ServerThreads">Server threads.</param>
/// <param name="ManagedHeapBytes">Server managed heap after the last GC, when the server reports it.</param>
public sealed record Sample(
    double Seconds,
    int Connections,
    double OfferedPerSecond,
    double SentPerSecond,
    double DeliveriesPerSecond,
    LatencySummary? Latency,
    long RssBytes,
    double CpuPercent,
    int ServerThreads,
    long? ManagedHeapBytes);
