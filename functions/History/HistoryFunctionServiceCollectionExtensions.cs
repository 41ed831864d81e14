using BrokerChat.History;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerChat.Functions.History;

/// <summary>Registers the history function.</summary>
public static class HistoryFunctionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the history store and the history function (<see cref="HistoryWorker"/>), which does nothing unless
    /// <c>History:Enabled</c> (or a hub's) is on. A process hosting function workers calls it.
    /// </summary>
    public static IServiceCollection AddBrokerChatHistoryFunction(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBrokerChatHistoryStore(configuration);
        if (services.Any(d => d.ServiceType == typeof(HistoryWorker)))
        {
            return services;
        }

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HistoryMetrics>();
        services.AddSingleton<HistoryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<HistoryWorker>());
        return services;
    }
}
