using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrokerChat.History;

/// <summary>Registers the history store.</summary>
public static class HistoryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="HistoryOptions"/> (bound from <c>History</c>, validated at startup) and the one
    /// <see cref="HistoryStore"/> of the process. Safe to call from both the connector and the functions.
    /// </summary>
    public static IServiceCollection AddBrokerChatHistoryStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(HistoryStore)))
        {
            return services;
        }

        services.AddOptions<HistoryOptions>().Bind(configuration.GetSection(HistoryOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HistoryOptions>, HistoryOptionsValidator>());
        services.AddSingleton(sp => new HistoryStore(sp.GetRequiredService<IOptions<HistoryOptions>>().Value));
        return services;
    }
}
