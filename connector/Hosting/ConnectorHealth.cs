using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerChat.Connector.Hosting;

/// <summary>
/// Readiness of a connector process: <c>/readyz</c> runs every ASP.NET Core health check tagged
/// <see cref="ReadyTag"/> (the outbound consumer's, and in a local run the in-process workers') and answers
/// <c>ready</c> (200) or <c>starting</c> (503). An application hosting the connector adds its own checks with the tag.
/// </summary>
public static class ConnectorHealth
{
    /// <summary>The tag of the checks that decide readiness; the same tag the functions' checks carry.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Whether a registered check decides readiness.</summary>
    public static bool IsReadinessCheck(HealthCheckRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return registration.Tags.Contains(ReadyTag);
    }

    /// <summary>The options of <c>/readyz</c>: the readiness checks, answered in plain text.</summary>
    public static HealthCheckOptions ReadyzOptions { get; } = new()
    {
        Predicate = IsReadinessCheck,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = static (context, report) =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(report.Status == HealthStatus.Healthy ? "ready" : "starting");
        },
    };
}
