using BrokerChat.Functions.Moderation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Chat;

/// <summary>Registers the chat function for any host.</summary>
public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ChatFunction"/> alone, for any host (the Kafka workers, the Azure Functions custom handler):
    /// <see cref="FunctionsOptions"/> and <see cref="ModerationOptions"/> validated at startup, the frame validator,
    /// the moderation rules (with any <see cref="IMessageRule"/> the application registers) and the metrics.
    /// </summary>
    public static IServiceCollection AddBrokerChatFunction(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FunctionsOptions>()
            .Bind(configuration.GetSection(FunctionsOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.DrainTimeout > TimeSpan.Zero, "Functions:DrainTimeout must be positive.")
            .Validate(o => o.RetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.RetryDelay, "Functions:RetryDelay must be positive and at most Functions:MaxRetryDelay.")
            .Validate(o => o.MaxInFlightPerPartition <= o.MaxInFlight, "Functions:MaxInFlightPerPartition must be at most Functions:MaxInFlight.")
            .ValidateOnStart();
        services.AddOptions<ModerationOptions>()
            .Bind(configuration.GetSection(ModerationOptions.SectionName))
            .Configure(options => configuration.GetSection(ModerationOptions.HubsSectionName).Bind(options.Hubs))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModerationOptions>, ModerationOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionsMetrics>();
        services.TryAddSingleton<ModerationMetrics>();
        services.TryAddSingleton<FrameValidator>();
        services.TryAddSingleton<MessageModeration>();
        services.TryAddSingleton<ChatFunction>();
        services.TryAddSingleton<Invocations.RunningInvocations>();
        return services;
    }
}
