using BrokerChat.EventHandlers;

namespace BrokerChat.Testing;

/// <summary>
/// How every process calls the hubs' event handlers (<c>EventHandlers:</c>, <see cref="EventHandlerClientOptions"/>),
/// and the handlers of each hub (<c>Hubs:{hub}:EventHandlers:{n}</c>, <see cref="HubEventHandlerOptions"/>).
/// </summary>
public sealed class EventHandlerSettings : HostSettingsSection
{
    private readonly HostSettings _settings;

    internal EventHandlerSettings(HostSettings settings)
        : base(settings, EventHandlerClientOptions.SectionName) => _settings = settings;

    /// <summary>How long one call may take.</summary>
    public TimeSpan? RequestTimeout
    {
        get => Get<TimeSpan>(nameof(EventHandlerClientOptions.RequestTimeout));
        set => Set(nameof(EventHandlerClientOptions.RequestTimeout), value);
    }

    /// <summary>Calls one process makes at once.</summary>
    public int? MaxConcurrentRequests
    {
        get => Get<int>(nameof(EventHandlerClientOptions.MaxConcurrentRequests));
        set => Set(nameof(EventHandlerClientOptions.MaxConcurrentRequests), value);
    }

    /// <summary>Failures in a row that open a handler's circuit breaker.</summary>
    public int? FailuresBeforeBreak
    {
        get => Get<int>(nameof(EventHandlerClientOptions.FailuresBeforeBreak));
        set => Set(nameof(EventHandlerClientOptions.FailuresBeforeBreak), value);
    }

    /// <summary>How long an open breaker refuses calls.</summary>
    public TimeSpan? BreakDuration
    {
        get => Get<TimeSpan>(nameof(EventHandlerClientOptions.BreakDuration));
        set => Set(nameof(EventHandlerClientOptions.BreakDuration), value);
    }

    /// <summary>The most of an answer that is read.</summary>
    public int? MaxResponseBytes
    {
        get => Get<int>(nameof(EventHandlerClientOptions.MaxResponseBytes));
        set => Set(nameof(EventHandlerClientOptions.MaxResponseBytes), value);
    }

    /// <summary>The <c>WebHook-Request-Origin</c> sent with every request.</summary>
    public string? RequestOrigin
    {
        get => GetText(nameof(EventHandlerClientOptions.RequestOrigin));
        set => SetText(nameof(EventHandlerClientOptions.RequestOrigin), value);
    }

    /// <summary>
    /// Adds an event handler to <paramref name="hub"/>, after the ones added before
    /// (<c>Hubs:{hub}:EventHandlers:{n}:UrlTemplate</c>, <c>:UserEventPattern</c>, <c>:SystemEvents:{k}</c>); returns its index.
    /// </summary>
    public int Add(string hub, string urlTemplate, string? userEventPattern = null, params string[] systemEvents)
    {
        ArgumentNullException.ThrowIfNull(systemEvents);
        var index = 0;
        while (_settings[HandlerKey(hub, index, nameof(BrokerChat.EventHandlers.EventHandlerSettings.UrlTemplate))] is not null)
        {
            index++;
        }

        _settings[HandlerKey(hub, index, nameof(BrokerChat.EventHandlers.EventHandlerSettings.UrlTemplate))] = urlTemplate;
        _settings[HandlerKey(hub, index, nameof(BrokerChat.EventHandlers.EventHandlerSettings.UserEventPattern))] = userEventPattern;
        for (var k = 0; k < systemEvents.Length; k++)
        {
            _settings[HandlerKey(hub, index, $"{nameof(BrokerChat.EventHandlers.EventHandlerSettings.SystemEvents)}:{k}")] = systemEvents[k];
        }

        return index;
    }

    private static string HandlerKey(string hub, int index, string property) =>
        $"{HubEventHandlerOptions.SectionName}:{hub}:{nameof(HubSettings.EventHandlers)}:{index}:{property}";
}
