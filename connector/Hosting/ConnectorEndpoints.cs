using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Hosting;

/// <summary>The connector's endpoints: the client endpoint, <c>/negotiate</c>, the REST API, health, metrics and the chat page.</summary>
public static class ConnectorEndpoints
{
    /// <summary>Maps the connector's endpoints.</summary>
    public static WebApplication MapBrokerChatConnector(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<HttpUpgradeEndpoint>();
        app.Map("/client/hubs/{hub}", (HttpContext context, string hub) => handler.HandleAsync(context, hub));
        app.Map("/client", (HttpContext context, string? hub) => handler.HandleAsync(context, hub ?? ""));

        if (app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.EnableNegotiate == true)
        {
            app.MapGet("/negotiate", NegotiateEndpoint.Handle);
        }

        if (app.Services.GetRequiredService<IOptions<RestOptions>>().Value.Enabled)
        {
            var rest = app.Services.GetRequiredService<RestApi>();
            app.Map("/api/{**path}", (HttpContext context) => rest.HandleAsync(context));
        }

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapHealthChecks("/readyz", ConnectorHealth.ReadyzOptions);
        app.MapGet("/", () => Results.Stream(ChatPage.Open(), "text/html; charset=utf-8"));

        if (app.Services.GetRequiredService<AccessTokenService>().IsEphemeralKey)
        {
            HostingLog.EphemeralKey(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectorApp)));
        }

        return app;
    }
}
