using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Functions;

/// <summary>Settings of the worker functions, bound from the <c>Functions</c> configuration section.</summary>
public sealed class FunctionsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Functions";

    /// <summary>Largest payload a request may carry, in bytes. The default is 1 MiB (1,048,576), Web PubSub's frame limit.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Kafka consumer group the workers share. The default is <c>brokerchat-functions</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9._$-]{1,200}$")]
    public string GroupId { get; set; } = "brokerchat-functions";

    /// <summary>
    /// Workers the connector process hosts itself. The default is 2 when Kafka is embedded and 0 otherwise (run
    /// <c>dotnet run --project functions</c> instead). A standalone functions process always runs one worker per
    /// instance of this setting, at least one.
    /// </summary>
    [Range(0, 64)]
    public int? InProcessWorkers { get; set; }

    /// <summary>
    /// Records a worker may have read but not yet seen written to the outbound topic. Bounds memory; when reached,
    /// the worker stops polling until deliveries complete. The default is 10,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxInFlight { get; set; } = 10_000;

    /// <summary>
    /// Records of one partition a worker may hold at once (queued, being handled or awaiting Kafka). When reached, the
    /// worker pauses that partition alone, so a slow or failing room never stalls the others; it resumes at half.
    /// The default is 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxInFlightPerPartition { get; set; } = 1_000;

    /// <summary>
    /// Key slots each partition's records are spread over, by a hash of the record key (the room, or the connection
    /// for events): records of one key go to one slot and are handled in order, while different slots run at once,
    /// so a slow room holds up only the rooms that share its slot. 1 handles a partition strictly one record after
    /// another. The default is 8.
    /// </summary>
    [Range(1, 256)]
    public int KeySlotsPerPartition { get; set; } = 8;

    /// <summary>
    /// Most records of one key slot handed to the handler in one call (<c>HandleBatchAsync</c>): a slot that finds
    /// several records queued takes up to this many at once without waiting for more. 1 hands over every record
    /// alone. A batch never holds more than the partition does (<see cref="MaxInFlightPerPartition"/>). The default is 64.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>How long a stopping worker waits for in-flight deliveries before leaving the group. The default is 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Times a request is tried before it goes to the dead-letter topic, the first try included. A failure here is an
    /// exception from the function (a dependency timing out, say); a rejection of bad input is not a failure. The
    /// default is 5.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; each later one doubles it, with jitter. The default is 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between two tries. The default is 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where the standalone functions process serves <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>: one or more
    /// URLs separated by <c>;</c>, as ASP.NET Core's <c>urls</c> setting (<c>http://+:8081</c>, say; port 0 takes a
    /// free port). The default is empty: no HTTP listener, so several workers can run on one machine. The container
    /// image sets <c>http://+:8081</c>. The connector serves these endpoints on its own port and ignores this setting.
    /// </summary>
    [RegularExpression(@"^(https?://[^;\s]+)?(;https?://[^;\s]+)*$")]
    public string HealthUrls { get; set; } = "";
}
