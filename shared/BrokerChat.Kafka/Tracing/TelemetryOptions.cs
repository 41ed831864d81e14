using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Kafka.Tracing;

/// <summary>
/// Trace export, bound from the <c>Telemetry</c> configuration section. Metrics are always on (<c>/metrics</c>); traces
/// are exported over OTLP only when an endpoint is configured here or in the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> environment variable.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>
    /// OTLP endpoint traces are exported to (e.g. <c>http://otel-collector:4317</c>). The default (empty) uses
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> when set, and exports no traces otherwise.
    /// </summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>
    /// Fraction of messages whose path is traced, for traces started here (a sampled parent is always followed).
    /// The default is 0.1: a chat backend moves many small messages, and one in ten shows every path.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 0.1;

    /// <summary>The endpoint in force, or null when traces are not exported.</summary>
    public Uri? EffectiveOtlpEndpoint
    {
        get
        {
            var value = OtlpEndpoint.Length > 0 ? OtlpEndpoint : Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");
            return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;
        }
    }
}
