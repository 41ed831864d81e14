namespace BrokerChat.Connector.Sessions;

/// <summary>How a recovery request (<c>awps_connection_id</c> + <c>awps_reconnection_token</c>) is served.</summary>
internal enum ResumeKind
{
    /// <summary>The session is held here, detached, and was claimed for this client.</summary>
    Held,

    /// <summary>The session is held here with a transport that still looks alive; it is cut off and taken over.</summary>
    TakeOver,

    /// <summary>The session is not here: it is rebuilt from the reconnection token and the rooms' histories.</summary>
    FromToken,

    /// <summary>The session cannot be resumed; the connection is accepted and closed with 1008.</summary>
    Refused,
}

/// <summary>A recovery request as the handshake decided to serve it; consumed when the connection starts.</summary>
internal sealed record ResumeRequest(ResumeKind Kind, ReconnectionState? State, string? Failure)
{
    /// <summary>The session held here was claimed.</summary>
    public static readonly ResumeRequest Held = new(ResumeKind.Held, null, null);

    /// <summary>A refusal with its reason.</summary>
    public static ResumeRequest Refused(string failure) => new(ResumeKind.Refused, null, failure);
}
