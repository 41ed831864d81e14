using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace BrokerChat.Kafka.Tracing;

/// <summary>Registers trace export for BrokerChat's activity sources.</summary>
public static class TracingServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="TelemetryOptions"/> (validated at startup) and, when an OTLP endpoint is configured, exports the
    /// traces of <paramref name="sources"/> there, sampled by <see cref="TelemetryOptions.TraceSampleRatio"/> for new
    /// traces and following the parent's decision otherwise. Without an endpoint no listener is registered, so the
    /// activity sources cost nothing.
    /// </summary>
    public static IServiceCollection AddBrokerChatTracing(this IServiceCollection services, IConfiguration configuration, params string[] sources)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(TelemetryOptions.SectionName);
        services.AddOptions<TelemetryOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.EffectiveOtlpEndpoint is not { } endpoint)
        {
            return services;
        }

        services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddSource(sources)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
            .AddOtlpExporter(otlp => otlp.Endpoint = endpoint));
        return services;
    }
}
