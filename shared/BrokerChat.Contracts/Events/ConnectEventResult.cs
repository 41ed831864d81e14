namespace BrokerChat.Contracts.Events;

/// <summary>
/// What a <c>connect</c> handler decided: accept (optionally setting the user id, adding groups and roles, and picking
/// the subprotocol), or refuse with an HTTP status and a reason the client is told.
/// </summary>
public sealed record ConnectEventResult
{
    /// <summary>Whether the connection is accepted.</summary>
    public bool Accepted { get; init; }

    /// <summary>For a refusal: the HTTP status the upgrade is answered with (401, 403, 400 or 500).</summary>
    public int Status { get; init; }

    /// <summary>For a refusal: why, as the client is told.</summary>
    public string? Reason { get; init; }

    /// <summary>The user id the connection gets, or null to keep the token's.</summary>
    public string? UserId { get; init; }

    /// <summary>Groups the connection joins at connect, besides the token's.</summary>
    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary>Roles granted besides the token's.</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>The subprotocol to answer with (one the client offered), or null to keep the connector's choice.</summary>
    public string? Subprotocol { get; init; }

    /// <summary>
    /// The connection's state as an event handler set it (its <c>ce-connectionState</c> answer, opaque), kept on the
    /// connection and sent with its later events; null to leave it unset.
    /// </summary>
    public string? ConnectionState { get; init; }

    /// <summary>Accepts the connection as the token describes it.</summary>
    public static ConnectEventResult Accept() => new() { Accepted = true };

    /// <summary>Refuses the connection with <paramref name="status"/> (401 unauthorized, 403 forbidden, 400 bad request).</summary>
    public static ConnectEventResult Refuse(int status, string reason) => new() { Status = status, Reason = reason };
}
