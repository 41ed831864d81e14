using BrokerChat.EventHandlers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerChat.Connector.Upstream;

/// <summary>Registers the hubs' event handlers (<c>Hubs:</c>, <c>EventHandlers:</c>) as the connector uses them: it posts <c>connect</c>.</summary>
internal static class UpstreamServiceCollectionExtensions
{
    public static IServiceCollection AddBrokerChatUpstream(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBrokerChatEventHandlers(configuration);
        // Signed with the connector's own keys (rotated with them), not the library's reading of the configuration.
        services.Replace(ServiceDescriptor.Singleton<IEventSigningKeys, AccessKeySigningKeys>());
        services.AddSingleton<UpstreamConnectHandler>();
        return services;
    }
}
