using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Upstream;

/// <summary>
/// Checks <see cref="UpstreamOptions"/> at startup: a valid hub name, an absolute http or https URL, known system
/// events. Messages name the hub and the setting, never the URL (it may carry a key in its query).
/// </summary>
internal sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    private static readonly string[] KnownSystemEvents = [WebPubSubCloudEvents.ConnectEventName, WebPubSubSystemEvents.Connected, WebPubSubSystemEvents.Disconnected];

    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        var failures = new List<string>();
        foreach (var (hub, handler) in options.EventHandlers)
        {
            var key = $"Connector:EventHandlers:{hub}";
            if (!HubNames.IsValid(hub))
            {
                failures.Add($"{key}: '{hub}' is not a valid hub name.");
            }

            if (!Uri.TryCreate(UpstreamConnectHandler.Expand(handler.Url ?? "", hub, WebPubSubCloudEvents.ConnectEventName), UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{key}:Url must be an absolute http or https URL.");
            }

            foreach (var systemEvent in handler.SystemEvents.Where(e => !KnownSystemEvents.Contains(e, StringComparer.OrdinalIgnoreCase)))
            {
                failures.Add($"{key}:SystemEvents: '{systemEvent}' is not one of {string.Join(", ", KnownSystemEvents)}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
