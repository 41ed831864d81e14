using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.Extensions.Options;

namespace BrokerChat.EventHandlers;

/// <summary>
/// Where one event goes: the URL it is posted to, and the handler it belongs to (<see cref="Handler"/>, the key under
/// which that handler's abuse-protection check and failures are kept).
/// </summary>
public readonly record struct EventHandlerTarget(Uri Url, EventHandlerEndpoint Handler);

/// <summary>One configured handler of one hub: its URL template with the hub filled in, and the URL of its abuse-protection check.</summary>
public sealed class EventHandlerEndpoint
{
    internal EventHandlerEndpoint(string hub, int index, string template)
    {
        Hub = hub;
        Index = index;
        Template = template;
        ValidationUrl = new Uri(EventHandlerRoutes.Expand(template, hub, EventHandlerRoutes.ValidateEventName));
    }

    /// <summary>The hub (lower-case).</summary>
    public string Hub { get; }

    /// <summary>The handler's place among the hub's (<c>Hubs:{hub}:EventHandlers:{Index}</c>), as logs name it: never the URL, which may carry a key.</summary>
    public int Index { get; }

    /// <summary>The URL template.</summary>
    internal string Template { get; }

    /// <summary>Where the abuse-protection <c>OPTIONS</c> request goes: the template with <c>{event}</c> = <c>validate</c>.</summary>
    internal Uri ValidationUrl { get; }

    /// <summary>The URL for <paramref name="eventName"/>.</summary>
    internal Uri UrlFor(string eventName) => new(EventHandlerRoutes.Expand(Template, Hub, eventName));
}

/// <summary>
/// Finds the event handler of an event from <see cref="HubEventHandlerOptions"/>: the first of the hub's handlers whose
/// <see cref="EventHandlerSettings.SystemEvents"/> (or <see cref="EventHandlerSettings.UserEventPattern"/>) matches it,
/// as Azure Web PubSub does. System event names match case-insensitively, user event names exactly.
/// </summary>
public sealed class EventHandlerRoutes
{
    /// <summary>The <c>{event}</c> of the abuse-protection check's URL.</summary>
    public const string ValidateEventName = "validate";

    private readonly Dictionary<string, HubRoutes> _hubs = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Routes from the configured hubs.</summary>
    public EventHandlerRoutes(IOptions<HubEventHandlerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (hub, settings) in options.Value.Hubs)
        {
            var lower = hub.ToLowerInvariant();
            var handlers = settings.EventHandlers
                .Select((h, i) => new HandlerRoute(new EventHandlerEndpoint(lower, i, h.UrlTemplate!), h))
                .ToArray();
            if (handlers.Length > 0)
            {
                _hubs[lower] = new HubRoutes(handlers);
            }
        }
    }

    /// <summary>The hubs that have at least one handler.</summary>
    public IEnumerable<string> Hubs => _hubs.Keys;

    /// <summary>Whether any handler of <paramref name="hub"/> takes <paramref name="kind"/> events (for a user event, any name).</summary>
    public bool Handles(string hub, WebPubSubEventKind kind) =>
        _hubs.TryGetValue(hub, out var routes) && routes.Handlers.Any(h => kind == WebPubSubEventKind.User ? h.TakesUserEvents : h.Takes(kind));

    /// <summary>Where <paramref name="kind"/> (a user event named <paramref name="eventName"/>) of <paramref name="hub"/> goes, or null when no handler takes it.</summary>
    public EventHandlerTarget? Find(string hub, WebPubSubEventKind kind, string? eventName = null)
    {
        if (!_hubs.TryGetValue(hub, out var routes))
        {
            return null;
        }

        foreach (var handler in routes.Handlers)
        {
            if (kind == WebPubSubEventKind.User ? eventName is not null && handler.TakesUserEvent(eventName) : handler.Takes(kind))
            {
                var name = kind == WebPubSubEventKind.User ? eventName! : SystemEventName(kind);
                return new EventHandlerTarget(handler.Endpoint.UrlFor(name), handler.Endpoint);
            }
        }

        return null;
    }

    /// <summary>The name of a system event kind, as <c>SystemEvents</c> and <c>{event}</c> spell it.</summary>
    public static string SystemEventName(WebPubSubEventKind kind) => kind switch
    {
        WebPubSubEventKind.Connect => WebPubSubCloudEvents.ConnectEventName,
        WebPubSubEventKind.Connected => WebPubSubSystemEvents.Connected,
        WebPubSubEventKind.Disconnected => WebPubSubSystemEvents.Disconnected,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A user event has its own name."),
    };

    /// <summary><paramref name="template"/> with <c>{hub}</c> and <c>{event}</c> replaced (case-insensitively) by their escaped values.</summary>
    public static string Expand(string template, string hub, string eventName)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template
            .Replace("{hub}", Uri.EscapeDataString(hub), StringComparison.OrdinalIgnoreCase)
            .Replace("{event}", Uri.EscapeDataString(eventName), StringComparison.OrdinalIgnoreCase);
    }

    private sealed record HubRoutes(HandlerRoute[] Handlers);

    private sealed class HandlerRoute(EventHandlerEndpoint endpoint, EventHandlerSettings settings)
    {
        private readonly HashSet<string> _systemEvents = new(settings.SystemEvents.Select(e => e.Trim()), StringComparer.OrdinalIgnoreCase);
        private readonly bool _allUserEvents = settings.UserEventPattern?.Trim() == "*";
        private readonly HashSet<string> _userEvents = new(
            (settings.UserEventPattern ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(e => e != "*"),
            StringComparer.Ordinal);

        public EventHandlerEndpoint Endpoint { get; } = endpoint;

        public bool TakesUserEvents => _allUserEvents || _userEvents.Count > 0;

        public bool Takes(WebPubSubEventKind kind) => _systemEvents.Contains(SystemEventName(kind));

        public bool TakesUserEvent(string eventName) => _allUserEvents || _userEvents.Contains(eventName);
    }
}
