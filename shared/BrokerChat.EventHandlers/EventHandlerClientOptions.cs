namespace BrokerChat.EventHandlers;

/// <summary>
/// How the connector and the functions call event handlers, bound from <c>EventHandlers</c>. Every process that calls
/// them (a connector for <c>connect</c>, a functions worker for the other events) applies these limits on its own.
/// </summary>
public sealed class EventHandlerClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "EventHandlers";

    /// <summary>
    /// How long one call (its abuse-protection check included) may take before it counts as failed. The default is
    /// 30 s. A <c>connect</c> call is also bounded by <c>Connector:ConnectTimeout</c> (5 s by default).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many calls one process makes at once, over every handler. A call that finds none free waits for one within
    /// its timeout. The default is 256.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>
    /// How many calls to one handler in a row may get no answer (it cannot be reached, or a timeout) before calls to it
    /// are refused at once for <see cref="BreakDuration"/>, so a handler that is down does not hold up handshakes and
    /// workers. An answer of any status, a 5xx too, counts as an answer: a handler that keeps failing one event (which
    /// the workers retry) does not hold back the hub's other events. The default is 5.
    /// </summary>
    public int FailuresBeforeBreak { get; set; } = 5;

    /// <summary>How long calls to a failing URL are refused at once before one is tried again. The default is 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most of a handler's answer that is read; a larger answer fails the call. The default is 1 MiB, the largest
    /// message a client may be sent.
    /// </summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The <c>WebHook-Request-Origin</c> this process sends with every request, which a handler's abuse protection
    /// checks (<c>@azure/web-pubsub-express</c>'s <c>allowedEndpoints</c> compares it with the host of the endpoint in
    /// your connection string, e.g. <c>localhost:8080</c>). The default is the machine's host name.
    /// </summary>
    public string? RequestOrigin { get; set; }

    /// <summary>How long a handler URL's abuse-protection answer is trusted before it is asked again. The default is 1 h.</summary>
    public TimeSpan ValidationLifetime { get; set; } = TimeSpan.FromHours(1);
}
