namespace BrokerChat.Connector.Upstream;

/// <summary>
/// The hubs whose events go to an event handler elsewhere over HTTP (a standalone functions process, or a Web PubSub
/// event handler webhook), bound from <c>Connector:EventHandlers:{hub}</c>. Empty by default: every hub admits by its
/// access token alone and its events stay on the inbound topic.
/// </summary>
public sealed class UpstreamOptions
{
    /// <summary>The configuration section this binds from: the connector's own (<c>Connector</c>), for its <see cref="EventHandlers"/>.</summary>
    public const string SectionName = ConnectorOptions.SectionName;

    /// <summary>The event handler of each hub, by hub name (case-insensitive). The default is none.</summary>
    public Dictionary<string, EventHandlerOptions> EventHandlers { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One hub's event handler (<c>Connector:EventHandlers:{hub}</c>).</summary>
public sealed class EventHandlerOptions
{
    /// <summary>
    /// The absolute http or https URL requests are posted to, in the Web PubSub CloudEvents format; <c>{hub}</c> and
    /// <c>{event}</c> in it are replaced by the hub and the event's name (e.g.
    /// <c>http://functions:7071/runtime/webhooks/webpubsub</c>, or <c>https://app/api/{hub}/{event}</c>). The default is none.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// The system events the handler takes: <c>connect</c> makes the connector ask it, before answering each upgrade,
    /// whether and how the client may connect. The default is none.
    /// </summary>
    public List<string> SystemEvents { get; set; } = [];
}
