using BrokerChat.Functions.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// Readiness of the function workers a local run hosts: healthy once every one of them owns partitions, so a request
/// sent now is handled at once rather than after the group settles.
/// </summary>
internal sealed class InProcessWorkersHealthCheck(FunctionWorkers workers) : IHealthCheck
{
    /// <summary>The name this check is registered under.</summary>
    public const string Name = "brokerchat-connector-inprocess-workers";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(workers.Workers.All(w => w.AssignedPartitions.Count > 0)
            ? HealthCheckResult.Healthy($"All {workers.Workers.Count} in-process workers own partitions.")
            : new HealthCheckResult(context?.Registration.FailureStatus ?? HealthStatus.Unhealthy, "In-process workers are still joining their consumer group."));
}
