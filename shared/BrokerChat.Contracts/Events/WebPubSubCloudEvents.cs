namespace BrokerChat.Contracts.Events;

/// <summary>
/// The names of Web PubSub's CloudEvents HTTP protocol for event handlers (binary content mode): the <c>ce-</c>
/// headers of a request, the event types, and the path the BrokerChat functions serve it on.
/// </summary>
public static class WebPubSubCloudEvents
{
    /// <summary>Where a BrokerChat functions process serves event-handler requests (the Azure Functions extension's path).</summary>
    public const string Path = "/runtime/webhooks/webpubsub";

    /// <summary><c>ce-specversion</c>: always <c>1.0</c>.</summary>
    public const string SpecVersion = "ce-specversion";

    /// <summary><c>ce-type</c>: one of the event types below.</summary>
    public const string Type = "ce-type";

    /// <summary><c>ce-source</c>: <c>/hubs/{hub}/client/{connectionId}</c>.</summary>
    public const string Source = "ce-source";

    /// <summary><c>ce-id</c>: unique per request.</summary>
    public const string Id = "ce-id";

    /// <summary><c>ce-time</c>: when the event happened, RFC 3339.</summary>
    public const string Time = "ce-time";

    /// <summary><c>ce-awpsversion</c>: <c>1.0</c>.</summary>
    public const string AwpsVersion = "ce-awpsversion";

    /// <summary><c>ce-hub</c>.</summary>
    public const string Hub = "ce-hub";

    /// <summary><c>ce-eventName</c>: <c>connect</c>, <c>connected</c>, <c>disconnected</c> or the user event's name.</summary>
    public const string EventName = "ce-eventName";

    /// <summary><c>ce-connectionId</c>.</summary>
    public const string ConnectionId = "ce-connectionId";

    /// <summary><c>ce-userId</c>, absent when anonymous.</summary>
    public const string UserId = "ce-userId";

    /// <summary><c>ce-subprotocol</c>: the subprotocol the connection speaks, absent for a simple WebSocket client.</summary>
    public const string Subprotocol = "ce-subprotocol";

    /// <summary>
    /// <c>ce-connectionState</c>: the connection's state, opaque to the service (handlers written with the Web PubSub
    /// SDKs put base64 JSON there). A handler's answer sets it; every later event of the connection carries it.
    /// </summary>
    public const string ConnectionState = "ce-connectionState";

    /// <summary>
    /// The longest <see cref="ConnectionState"/> BrokerChat keeps, in characters (the header is ASCII: the SDKs send
    /// base64). It travels on every record of the connection and in every event-handler request, so it is bounded:
    /// 4 KiB, the single-header limit of HTTP/2 front ends. A <c>connect</c> answer setting a longer one is refused
    /// (500); a later event's is ignored and logged.
    /// </summary>
    public const int MaxConnectionStateLength = 4096;

    /// <summary><c>ce-signature</c>: <c>sha256={hex}</c> HMACs of the connection id, one per access key.</summary>
    public const string Signature = "ce-signature";

    /// <summary><c>WebHook-Request-Origin</c> of the abuse-protection preflight (an <c>OPTIONS</c> request).</summary>
    public const string RequestOrigin = "WebHook-Request-Origin";

    /// <summary><c>WebHook-Allowed-Origin</c>, the preflight's answer.</summary>
    public const string AllowedOrigin = "WebHook-Allowed-Origin";

    /// <summary>The type of a <c>connect</c> request.</summary>
    public const string ConnectType = "azure.webpubsub.sys.connect";

    /// <summary>The type of a <c>connected</c> notification.</summary>
    public const string ConnectedType = "azure.webpubsub.sys.connected";

    /// <summary>The type of a <c>disconnected</c> notification.</summary>
    public const string DisconnectedType = "azure.webpubsub.sys.disconnected";

    /// <summary>The prefix of a user event's type: <c>azure.webpubsub.user.{eventName}</c>.</summary>
    public const string UserTypePrefix = "azure.webpubsub.user.";

    /// <summary>The <c>connect</c> event's name.</summary>
    public const string ConnectEventName = "connect";
}
