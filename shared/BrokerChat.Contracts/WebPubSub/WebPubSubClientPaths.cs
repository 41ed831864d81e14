namespace BrokerChat.Contracts.WebPubSub;

/// <summary>The paths of the client endpoint, where clients open their WebSocket (matched case-insensitively).</summary>
public static class WebPubSubClientPaths
{
    /// <summary><c>/client</c>: the client endpoint with the hub in the <see cref="WebPubSubQueryParameters.Hub"/> query parameter.</summary>
    public const string Client = "/client";

    /// <summary><c>/client/hubs/</c>: what a hub's client endpoint path starts with; the (escaped) hub name follows.</summary>
    public const string HubsPrefix = "/client/hubs/";
}
