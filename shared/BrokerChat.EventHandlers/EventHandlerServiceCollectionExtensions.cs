using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrokerChat.EventHandlers;

/// <summary>Registers the hubs' event-handler settings and the client that calls them.</summary>
public static class EventHandlerServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="HubEventHandlerOptions"/> (<c>Hubs</c>) and <see cref="EventHandlerClientOptions"/>
    /// (<c>EventHandlers</c>), both validated at startup, <see cref="EventHandlerRoutes"/> and
    /// <see cref="EventHandlerSender"/>. Events are signed with the registered <see cref="IEventSigningKeys"/>, by
    /// default the configured access keys. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddBrokerChatEventHandlers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(s => s.ServiceType == typeof(EventHandlerRoutes)))
        {
            return services;
        }

        services.AddOptions<HubEventHandlerOptions>()
            .Configure(o => configuration.GetSection(HubEventHandlerOptions.SectionName).Bind(o.Hubs))
            .ValidateOnStart();
        services.AddOptions<EventHandlerClientOptions>().Bind(configuration.GetSection(EventHandlerClientOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<EventHandlerOptionsValidator>();
        services.AddSingleton<IValidateOptions<HubEventHandlerOptions>>(sp => sp.GetRequiredService<EventHandlerOptionsValidator>());
        services.AddSingleton<IValidateOptions<EventHandlerClientOptions>>(sp => sp.GetRequiredService<EventHandlerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEventSigningKeys>(_ => new ConfiguredSigningKeys(configuration));
        services.AddHttpClient(EventHandlerSender.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan) // each call has its own timeout
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
                RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8, // user ids and event names may be any text
            })
            .RemoveAllLoggers(); // the default loggers would write URLs, which may carry a key
        services.AddSingleton<EventHandlerRoutes>();
        services.AddSingleton<EventHandlerSender>();
        return services;
    }
}
