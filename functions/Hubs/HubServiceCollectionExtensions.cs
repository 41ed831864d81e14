using System.Reflection;
using BrokerChat.Contracts.Events;
using BrokerChat.EventHandlers;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerChat.Functions.Hubs;

/// <summary>Registers the application's hubs and middleware. Order does not matter: before or after the host's own services.</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>
    /// Adds <typeparamref name="THub"/> as the handlers of its hub (<paramref name="hubName"/>, or its
    /// <see cref="HubAttribute"/>'s name). An instance is made per event in a DI scope of its own; register the class
    /// yourself to choose its lifetime.
    /// </summary>
    public static IServiceCollection AddBrokerChatHub<THub>(this IServiceCollection services, string? hubName = null)
        where THub : BrokerChatHub
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new HubRegistration(typeof(THub), hubName));
        return services.AddBrokerChatHubCore();
    }

    /// <summary>Adds every concrete <see cref="BrokerChatHub"/> with a <see cref="HubAttribute"/> in <paramref name="assembly"/>.</summary>
    public static IServiceCollection AddBrokerChatHubs(this IServiceCollection services, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetTypes().Where(t => typeof(BrokerChatHub).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<HubAttribute>() is not null))
        {
            services.AddSingleton(new HubRegistration(type, null));
        }

        return services.AddBrokerChatHubCore();
    }

    /// <summary>Adds middleware that runs around every handler, after the middleware added before it. It is made in each invocation's scope.</summary>
    public static IServiceCollection AddBrokerChatHubMiddleware<TMiddleware>(this IServiceCollection services)
        where TMiddleware : class, IHubMiddleware
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IHubMiddleware, TMiddleware>());
        return services;
    }

    /// <summary>
    /// The hub runtime every host uses, with or without hubs: the request handler (the chat function, then the hubs,
    /// then the hubs' event handlers) and the connect seam. Called by the hosts; the hub options and the event-handler
    /// settings (<c>Hubs:{hub}:EventHandlers</c>, <c>EventHandlers</c>) are bound from <paramref name="configuration"/>.
    /// </summary>
    internal static IServiceCollection AddBrokerChatHubRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HubOptions>()
            .Bind(configuration.GetSection(HubOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddBrokerChatEventHandlers(configuration);
        services.TryAddSingleton<Webhooks.WebhookEvents>();
        services.AddBrokerChatHubCore();
        services.TryAddSingleton<IRequestHandler>(sp => sp.GetRequiredService<HubRequestHandler>());
        return services;
    }

    private static IServiceCollection AddBrokerChatHubCore(this IServiceCollection services)
    {
        services.AddOptions<HubOptions>();
        services.TryAddSingleton<HubRegistry>();
        services.TryAddSingleton<HubDispatcher>();
        services.TryAddSingleton(sp => new HubRequestHandler(
            sp.GetRequiredService<ChatFunction>(),
            sp.GetRequiredService<HubRegistry>(),
            sp.GetRequiredService<HubDispatcher>(),
            sp.GetRequiredService<Invocations.RunningInvocations>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FunctionsOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Webhooks.WebhookEvents>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectEventHandler, HubConnectHandler>());
        return services;
    }
}
