using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.Extensions.Options;

namespace BrokerChat.EventHandlers;

/// <summary>
/// Checks <see cref="HubEventHandlerOptions"/> and <see cref="EventHandlerClientOptions"/> at startup. Messages name the
/// setting, never the URL (it may carry a key in its query).
/// </summary>
internal sealed class EventHandlerOptionsValidator : IValidateOptions<HubEventHandlerOptions>, IValidateOptions<EventHandlerClientOptions>
{
    private static readonly string[] ProbeEvents = [WebPubSubCloudEvents.ConnectEventName, EventHandlerRoutes.ValidateEventName];
    private static readonly string[] KnownSystemEvents = [WebPubSubCloudEvents.ConnectEventName, WebPubSubSystemEvents.Connected, WebPubSubSystemEvents.Disconnected];

    public ValidateOptionsResult Validate(string? name, HubEventHandlerOptions options)
    {
        var failures = new List<string>();
        foreach (var (hub, settings) in options.Hubs)
        {
            if (!HubNames.IsValid(hub))
            {
                failures.Add($"Hubs:{hub}: '{hub}' is not a valid hub name.");
            }

            for (var i = 0; i < settings.EventHandlers.Count; i++)
            {
                Validate($"Hubs:{hub}:EventHandlers:{i}", hub, settings.EventHandlers[i], failures);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, EventHandlerClientOptions options)
    {
        var failures = new List<string>();
        const string key = EventHandlerClientOptions.SectionName;
        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{key}:RequestTimeout must be positive.");
        }

        if (options.MaxConcurrentRequests is < 1 or > 100_000)
        {
            failures.Add($"{key}:MaxConcurrentRequests must be from 1 to 100000.");
        }

        if (options.FailuresBeforeBreak < 1)
        {
            failures.Add($"{key}:FailuresBeforeBreak must be at least 1.");
        }

        if (options.BreakDuration <= TimeSpan.Zero)
        {
            failures.Add($"{key}:BreakDuration must be positive.");
        }

        if (options.ValidationLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{key}:ValidationLifetime must be positive.");
        }

        if (options.MaxResponseBytes is < 1024 or > 64 * 1024 * 1024)
        {
            failures.Add($"{key}:MaxResponseBytes must be from 1024 to 67108864.");
        }

        if (options.RequestOrigin is { } origin && (origin.Length == 0 || origin.Any(c => c <= ' ' || c > '~')))
        {
            failures.Add($"{key}:RequestOrigin must be a host name (printable ASCII without spaces).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Validate(string key, string hub, EventHandlerSettings handler, List<string> failures)
    {
        var template = handler.UrlTemplate ?? "";
        var urls = ProbeEvents.Select(e => Uri.TryCreate(EventHandlerRoutes.Expand(template, hub, e), UriKind.Absolute, out var url) ? url : null).ToArray();
        if (urls.Any(u => u is null || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{key}:UrlTemplate must be an absolute http or https URL.");
        }
        else if (urls[0]!.Authority != urls[1]!.Authority)
        {
            failures.Add($"{key}:UrlTemplate may not have {{event}} in its host.");
        }

        foreach (var systemEvent in handler.SystemEvents.Where(e => !KnownSystemEvents.Contains(e.Trim(), StringComparer.OrdinalIgnoreCase)))
        {
            failures.Add($"{key}:SystemEvents: '{systemEvent}' is not one of {string.Join(", ", KnownSystemEvents)}.");
        }

        var pattern = handler.UserEventPattern?.Trim() ?? "";
        if (pattern.Length > 0 && pattern != "*")
        {
            foreach (var eventName in pattern.Split(',', StringSplitOptions.TrimEntries).Where(e => e.Length == 0 || !EventNames.IsValid(e)))
            {
                failures.Add($"{key}:UserEventPattern: '{eventName}' is not an event name; use * or a comma-separated list of event names.");
            }
        }

        if (pattern.Length == 0 && handler.SystemEvents.Count == 0)
        {
            failures.Add($"{key} takes no event: give it a UserEventPattern, SystemEvents, or both.");
        }
    }
}
