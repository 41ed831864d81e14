namespace BrokerChat.Contracts.WebPubSub;

/// <summary>The query parameters of a client's WebSocket upgrade request to the client endpoint.</summary>
public static class WebPubSubQueryParameters
{
    /// <summary><c>access_token</c>: the client access token (the alternative to an <c>Authorization: Bearer</c> header).</summary>
    public const string AccessToken = "access_token";

    /// <summary><c>hub</c>: the hub, when the client connects to <see cref="WebPubSubClientPaths.Client"/> rather than to a hub's own path.</summary>
    public const string Hub = "hub";

    /// <summary>
    /// <c>awps_connection_id</c>: on a reliable subprotocol, the connection id of the session a reconnecting client asks to
    /// resume (sent with <see cref="ReconnectionToken"/>).
    /// </summary>
    public const string ConnectionId = "awps_connection_id";

    /// <summary><c>awps_reconnection_token</c>: the latest <c>reconnectionToken</c> of the session a reconnecting client asks to resume.</summary>
    public const string ReconnectionToken = "awps_reconnection_token";
}
