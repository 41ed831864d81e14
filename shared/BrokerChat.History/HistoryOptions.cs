using System.ComponentModel.DataAnnotations;

namespace BrokerChat.History;

/// <summary>The database a <see cref="HistoryStore"/> keeps rooms' messages in.</summary>
public enum HistoryProvider
{
    /// <summary>An SQLite file (Microsoft.Data.Sqlite): the embedded default of a local run.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server (Npgsql), for deployments.</summary>
    Postgres,
}

/// <summary>
/// Settings of the durable room history, bound from the <c>History</c> configuration section and shared by the
/// history function (which writes the store) and the connectors (which read it).
/// </summary>
public sealed class HistoryOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "History";

    /// <summary>
    /// Whether rooms' messages are kept in the store, for every hub that does not say otherwise in <see cref="Hubs"/>.
    /// The default is false; a local run turns it on (with SQLite in <c>LocalRun:DataPath</c>).
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>The database: <c>Sqlite</c> or <c>Postgres</c>. The default is <c>Sqlite</c>.</summary>
    public HistoryProvider Provider { get; set; } = HistoryProvider.Sqlite;

    /// <summary>
    /// The ADO.NET connection string of the database (<c>Data Source=/var/lib/brokerchat/history.db</c> for SQLite,
    /// <c>Host=…;Database=…;Username=…;Password=…</c> for PostgreSQL). Required when history is on; a local run sets
    /// it to <c>history.db</c> in its data folder when empty.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The Kafka consumer group of the history function (it reads the outbound topic). The default is <c>brokerchat-history</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9._$-]{1,200}$")]
    public string GroupId { get; set; } = "brokerchat-history";

    /// <summary>Most messages of one partition written to the database in one transaction. The default is 500.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// How long the history function waits for a batch to fill before it writes what it has. 0 writes at once
    /// whatever is queued. The default is 50 ms.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Messages of one partition the history function may hold unwritten (queued or in a batch being written); when
    /// reached it pauses that partition alone. The default is 5,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxInFlightPerPartition { get; set; } = 5_000;

    /// <summary>Delay before the first retry of a failed batch write; each later one doubles it, with jitter. The default is 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Longest delay between two tries of a batch write. A batch is tried until the database takes it (only its
    /// partition waits meanwhile), so nothing is lost while the database is down. The default is 10 s.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a single database command may take before it fails (and is retried). The default is 30 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Messages kept per room, for every hub that does not say otherwise; older ones are deleted (a little past the
    /// bound, in steps of a tenth of it). The default is 100,000.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxMessagesPerRoom { get; set; } = 100_000;

    /// <summary>How long a message is kept, for every hub that does not say otherwise. The default is 30 days.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the history function deletes messages past <see cref="MaxAge"/>. The default is 1 minute.</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages in a page when a request names no limit. The default is 50.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Most messages in one page; a larger limit is refused. The default is 100.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 100;

    /// <summary>
    /// Most messages a resuming reliable session is given from the store, past what the connector's in-memory room
    /// history holds; a longer gap is refused as too old. 0 serves recovery from memory only. The default is 10,000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RecoveryMaxMessages { get; set; } = 10_000;

    /// <summary>Per-hub settings, by hub name (case-insensitive): <c>History:Hubs:{hub}:Enabled</c>, <c>MaxMessagesPerRoom</c>, <c>MaxAge</c>.</summary>
    public Dictionary<string, HubHistoryOptions> Hubs { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="hub"/>'s rooms are kept.</summary>
    public bool IsEnabled(string hub) => Hubs.TryGetValue(hub, out var h) && h.Enabled is { } enabled ? enabled : Enabled;

    /// <summary>Whether any hub's rooms are kept.</summary>
    public bool AnyEnabled => Enabled || Hubs.Values.Any(h => h.Enabled == true);

    /// <summary>Messages kept per room of <paramref name="hub"/>.</summary>
    public int MaxMessagesFor(string hub) => Hubs.TryGetValue(hub, out var h) && h.MaxMessagesPerRoom is { } max ? max : MaxMessagesPerRoom;

    /// <summary>How long messages of <paramref name="hub"/> are kept.</summary>
    public TimeSpan MaxAgeFor(string hub) => Hubs.TryGetValue(hub, out var h) && h.MaxAge is { } age ? age : MaxAge;
}

/// <summary>The history settings of one hub; what is not set comes from <see cref="HistoryOptions"/>.</summary>
public sealed class HubHistoryOptions
{
    /// <summary>Whether the hub's rooms are kept; unset follows <see cref="HistoryOptions.Enabled"/>.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Messages kept per room of the hub.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxMessagesPerRoom { get; set; }

    /// <summary>How long the hub's messages are kept.</summary>
    public TimeSpan? MaxAge { get; set; }
}
