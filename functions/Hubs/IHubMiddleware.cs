namespace BrokerChat.Functions.Hubs;

/// <summary>Which handler an invocation runs.</summary>
public enum HubHandlerKind
{
    /// <summary><see cref="BrokerChatHub.OnConnectAsync"/>.</summary>
    Connect,

    /// <summary><see cref="BrokerChatHub.OnConnectedAsync"/>.</summary>
    Connected,

    /// <summary><see cref="BrokerChatHub.OnDisconnectedAsync"/>.</summary>
    Disconnected,

    /// <summary>A <see cref="UserEventAttribute"/> method.</summary>
    UserEvent,

    /// <summary>A <see cref="UserEventAttribute"/> method with <see cref="UserEventAttribute.Batch"/>.</summary>
    UserEventBatch,

    /// <summary>An <see cref="InvocationAttribute"/> method.</summary>
    Invocation,

    /// <summary><see cref="BrokerChatHub.OnPublishAsync"/>.</summary>
    Publish,
}

/// <summary>One run of a handler, as middleware sees it.</summary>
public sealed class HubInvocation
{
    internal HubInvocation(HubHandlerKind kind, string hub, string? eventName, HubContext context, int count)
    {
        Kind = kind;
        Hub = hub;
        EventName = eventName;
        Context = context;
        Count = count;
    }

    /// <summary>Which handler runs.</summary>
    public HubHandlerKind Kind { get; }

    /// <summary>The hub.</summary>
    public string Hub { get; }

    /// <summary>The user event or invocation's name, or null for connection events and the publish hook.</summary>
    public string? EventName { get; }

    /// <summary>The handler's context (the first event's, for a batch).</summary>
    public HubContext Context { get; }

    /// <summary>How many events the handler gets: 1, or the batch's size.</summary>
    public int Count { get; }

    /// <summary>Anything middleware wants to hand to the next one, for this run only.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}

/// <summary>The rest of the pipeline: the next middleware, or the handler.</summary>
public delegate ValueTask HubHandlerDelegate(HubInvocation invocation);

/// <summary>
/// Runs around every handler of every hub, in registration order
/// (<see cref="HubServiceCollectionExtensions.AddBrokerChatHubMiddleware{TMiddleware}"/>), in the invocation's DI scope:
/// logging, timing, authorization, error translation. Call <c>next</c> to run the handler; not calling it skips it.
/// </summary>
public interface IHubMiddleware
{
    /// <summary>Runs one invocation.</summary>
    ValueTask InvokeAsync(HubInvocation invocation, HubHandlerDelegate next);
}
