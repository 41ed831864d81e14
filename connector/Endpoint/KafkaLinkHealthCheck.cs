using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerChat.Connector.Endpoint;

/// <summary>Readiness of this connector's link to Kafka (<see cref="KafkaLink"/>): unhealthy while it counts as lost.</summary>
internal sealed class KafkaLinkHealthCheck(KafkaLink kafka) : IHealthCheck
{
    /// <summary>The name this check is registered under.</summary>
    public const string Name = "brokerchat-connector-kafka";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(kafka.IsLost
            ? new HealthCheckResult(context?.Registration.FailureStatus ?? HealthStatus.Unhealthy, $"Kafka has been silent for {kafka.Silence.TotalSeconds:0} s; clients are sent elsewhere.")
            : HealthCheckResult.Healthy("Kafka confirms and returns this connector's beacons."));
}
