using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Connector.Endpoint;

/// <summary>The client endpoint's paths: <c>/client/hubs/{hub}</c>, or <c>/client</c> with <c>?hub=</c>.</summary>
internal static class ClientRoute
{
    /// <summary>
    /// The hub named by a client-endpoint path: <see cref="WebPubSubClientPaths.Client"/> names it in the query
    /// (<paramref name="hubFromQuery"/>), <see cref="WebPubSubClientPaths.HubsPrefix"/> in the path; false for any other path.
    /// </summary>
    public static bool TryMatch(string path, string? hubFromQuery, out string hub)
    {
        if (string.Equals(path, WebPubSubClientPaths.Client, StringComparison.OrdinalIgnoreCase))
        {
            hub = hubFromQuery ?? "";
            return true;
        }

        if (path.StartsWith(WebPubSubClientPaths.HubsPrefix, StringComparison.OrdinalIgnoreCase) && path.Length > WebPubSubClientPaths.HubsPrefix.Length && path.IndexOf('/', WebPubSubClientPaths.HubsPrefix.Length) < 0)
        {
            hub = Uri.UnescapeDataString(path[WebPubSubClientPaths.HubsPrefix.Length..]);
            return true;
        }

        hub = "";
        return false;
    }
}
