namespace BrokerChat.Contracts.Events;

/// <summary>
/// A client asking to connect, as the connector hands it to the hub's <c>connect</c> handler before it answers the
/// upgrade: who the access token says the client is, and what its request carried.
/// </summary>
/// <param name="Hub">The hub, lower-cased.</param>
/// <param name="ConnectionId">The id the connection gets if it is accepted.</param>
/// <param name="UserId">The user id the access token names, or null when anonymous.</param>
/// <param name="Roles">The roles the access token grants.</param>
/// <param name="Groups">The groups the access token joins at connect.</param>
/// <param name="Subprotocols">The subprotocols the client offered, in its order.</param>
/// <param name="Claims">The access token's claims (name to values).</param>
/// <param name="Query">The upgrade request's query parameters, less the access token.</param>
/// <param name="Headers">The upgrade request's headers, less <c>Authorization</c> and <c>Cookie</c>.</param>
/// <param name="ClientCertificates">The TLS client certificate the client presented, if any (Azure's <c>clientCertificates</c>); null or empty when none.</param>
public sealed record ConnectEvent(
    string Hub,
    string ConnectionId,
    string? UserId,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Subprotocols,
    IReadOnlyDictionary<string, string[]> Claims,
    IReadOnlyDictionary<string, string[]> Query,
    IReadOnlyDictionary<string, string[]> Headers,
    IReadOnlyList<ConnectClientCertificate>? ClientCertificates = null);

/// <summary>
/// A TLS client certificate as the <c>connect</c> event's <c>clientCertificates</c> carries it: the SHA-1
/// <c>thumbprint</c> (upper-case hex, as Azure and <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2.Thumbprint"/>
/// write it) and the <c>content</c>, the certificate in PEM.
/// </summary>
/// <param name="Thumbprint">The SHA-1 thumbprint, upper-case hex.</param>
/// <param name="Content">The certificate, PEM-encoded.</param>
public sealed record ConnectClientCertificate(string Thumbprint, string? Content);
