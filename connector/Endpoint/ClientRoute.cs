namespace BrokerChat.Connector.Endpoint;

/// <summary>The client endpoint's paths: <c>/client/hubs/{hub}</c>, or <c>/client</c> with <c>?hub=</c>.</summary>
internal static class ClientRoute
{
    /// <summary>The path of the client endpoint that names its hub in the query.</summary>
    public const string ClientPath = "/client";

    /// <summary>The prefix of the client endpoint paths that name their hub.</summary>
    public const string HubsPrefix = "/client/hubs/";

    /// <summary>The hub named by a client-endpoint path; false for any other path.</summary>
    public static bool TryMatch(string path, string? hubFromQuery, out string hub)
    {
        if (string.Equals(path, ClientPath, StringComparison.OrdinalIgnoreCase))
        {
            hub = hubFromQuery ?? "";
            return true;
        }

        if (path.StartsWith(HubsPrefix, StringComparison.OrdinalIgnoreCase) && path.Length > HubsPrefix.Length && path.IndexOf('/', HubsPrefix.Length) < 0)
        {
            hub = Uri.UnescapeDataString(path[HubsPrefix.Length..]);
            return true;
        }

        hub = "";
        return false;
    }
}
