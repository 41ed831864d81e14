using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Connector;

/// <summary>Settings of the connector, bound from the <c>Connector</c> configuration section.</summary>
public sealed class ConnectorOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Connector";

    /// <summary>
    /// This connector's id, carried in every request so acks find their way back. The default is a random id per
    /// process start; set it only if you need stable ids in logs, and keep it unique per running instance.
    /// </summary>
    [RegularExpression(@"^[A-Za-z0-9._-]{1,64}$")]
    public string? Id { get; set; }

    /// <summary>
    /// How long a request with an <c>ackId</c> waits for the functions' outcome before the client gets an ack error
    /// <c>Timeout</c>. The default is 10 s.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest client message accepted, in bytes; a larger one closes the connection with 1009. The default is 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Frames that may wait in one connection's outbound queue. A client that falls further behind is disconnected
    /// (<c>SlowClient</c>) rather than buffered without bound. The default is 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int OutboundQueueMessages { get; set; } = 1000;

    /// <summary>Bytes that may wait in one connection's outbound queue. The default is 4 MiB.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int OutboundQueueBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long closing a socket may take before it is aborted. The default is 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
