using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerChat.Connector.Outbound;

/// <summary>
/// Readiness of the outbound consumer: healthy once it holds its start position on every outbound partition, so
/// nothing produced from then on is missed by this connector's clients.
/// </summary>
internal sealed class OutboundReadyHealthCheck(DeliveryDispatcher dispatcher) : IHealthCheck
{
    /// <summary>The name this check is registered under.</summary>
    public const string Name = "brokerchat-connector-outbound";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(dispatcher.Ready.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("Deliveries are read from every outbound partition.")
            : new HealthCheckResult(context?.Registration.FailureStatus ?? HealthStatus.Unhealthy, "The outbound consumer has not taken its start positions yet."));
}
