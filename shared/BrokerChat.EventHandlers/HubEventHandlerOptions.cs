namespace BrokerChat.EventHandlers;

/// <summary>
/// The event handlers (webhooks) of each hub, bound from <c>Hubs:{hub}:EventHandlers:{n}</c>, shaped like an Azure Web
/// PubSub hub's settings. Several handlers per hub are tried in order and the first whose events match wins. A hub
/// with no handler behaves as if this did not exist: its events stay on the inbound topic for the functions. The
/// default is none.
/// </summary>
public sealed class HubEventHandlerOptions
{
    /// <summary>The configuration section: <c>Hubs</c>, keyed by hub name.</summary>
    public const string SectionName = "Hubs";

    /// <summary>Each hub's settings, by hub name (case-insensitive).</summary>
    public Dictionary<string, HubSettings> Hubs { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One hub's settings (<c>Hubs:{hub}</c>).</summary>
public sealed class HubSettings
{
    /// <summary>The hub's event handlers in priority order (<c>Hubs:{hub}:EventHandlers:{n}</c>). The default is none.</summary>
    public List<EventHandlerSettings> EventHandlers { get; set; } = [];
}

/// <summary>One event handler of a hub (<c>Hubs:{hub}:EventHandlers:{n}</c>).</summary>
public sealed class EventHandlerSettings
{
    /// <summary>
    /// Where events are posted: an absolute http or https URL, in which <c>{hub}</c> and <c>{event}</c> are replaced by
    /// the hub and the event's name (<c>https://app.example/eventhandler/{event}</c>). Required.
    /// </summary>
    public string? UrlTemplate { get; set; }

    /// <summary>
    /// The user events this handler takes: <c>*</c> for every one, or a comma-separated list of event names
    /// (<c>message,typing</c>). The default is none (null or empty): only the <see cref="SystemEvents"/> come here.
    /// A simple WebSocket client's frames are the user event <c>message</c>.
    /// </summary>
    public string? UserEventPattern { get; set; }

    /// <summary>
    /// The system events this handler takes: <c>connect</c> (blocking: the connector waits for its answer before the
    /// upgrade), <c>connected</c> and <c>disconnected</c> (notifications). The default is none.
    /// </summary>
    public List<string> SystemEvents { get; set; } = [];
}
