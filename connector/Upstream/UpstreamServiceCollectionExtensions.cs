using BrokerChat.Contracts.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Upstream;

/// <summary>Registers the HTTP event handlers, when <c>Connector:EventHandlers</c> names any.</summary>
internal static class UpstreamServiceCollectionExtensions
{
    /// <summary>How long one call may take at most, whatever the caller's own timeout.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddBrokerChatUpstream(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.GetSection($"{UpstreamOptions.SectionName}:{nameof(UpstreamOptions.EventHandlers)}").GetChildren().Any())
        {
            return services; // no hub has one: nothing is registered and every hub admits by its token alone
        }

        services.AddOptions<UpstreamOptions>().Bind(configuration.GetSection(UpstreamOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();
        services.AddHttpClient(UpstreamConnectHandler.HttpClientName, client => client.Timeout = RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            .RemoveAllLoggers(); // the default loggers would write URLs, which may carry a key
        services.AddSingleton<UpstreamConnectHandler>();
        services.AddSingleton<IConnectEventHandler>(sp => sp.GetRequiredService<UpstreamConnectHandler>());
        return services;
    }
}
