namespace BrokerChat.Contracts.WebPubSub;

/// <summary>User event names that the Web PubSub protocol itself gives meaning to.</summary>
public static class WebPubSubUserEvents
{
    /// <summary>
    /// <c>message</c>: the event every frame of a simple WebSocket client (one that speaks no subprotocol) is raised as,
    /// with the frame's bytes as its data (text or binary, as the frame was).
    /// </summary>
    public const string Message = "message";
}
