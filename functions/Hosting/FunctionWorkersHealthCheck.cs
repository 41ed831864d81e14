using BrokerChat.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// Readiness of this process's Kafka workers, as an ASP.NET Core health check: healthy once Kafka answered (its topics
/// exist) and every worker is in the consumer group (its group coordinator answers). A member may own no partition at
/// all when the group has more members than the inbound topic has partitions; it is ready nonetheless, standing by to
/// take over. A process without workers is ready once Kafka answered.
/// </summary>
/// <remarks>
/// <see cref="FunctionsServiceCollectionExtensions.AddBrokerChatFunctions"/> registers it as <see cref="Name"/>, tagged
/// <see cref="ReadyTag"/>; the standalone process's <c>/readyz</c> runs the checks with that tag
/// (<see cref="FunctionsApp"/>).
/// </remarks>
public sealed class FunctionWorkersHealthCheck(KafkaEndpoint endpoint, FunctionWorkers workers) : IHealthCheck
{
    /// <summary>The tag of the health checks that decide readiness (<c>/readyz</c>).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The name this check is registered under.</summary>
    public const string Name = "brokerchat-functions-workers";

    /// <summary>Whether Kafka answered and every worker of <paramref name="workers"/> is in the consumer group.</summary>
    public static bool IsReady(KafkaEndpoint endpoint, FunctionWorkers workers)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(workers);
        return endpoint.Ready.IsCompletedSuccessfully && workers.Workers.All(w => w.InGroup);
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (IsReady(endpoint, workers))
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Kafka answers and all {workers.Workers.Count} workers are in the consumer group."));
        }

        var waiting = endpoint.Ready.IsCompletedSuccessfully
            ? $"Workers not in the consumer group yet: {string.Join(", ", workers.Workers.Select((w, i) => (w, i)).Where(x => !x.w.InGroup).Select(x => x.i))}."
            : "Kafka has not answered yet.";
        return Task.FromResult(new HealthCheckResult(context?.Registration.FailureStatus ?? HealthStatus.Unhealthy, waiting));
    }
}
