using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Connector.Auth;

/// <summary>Client access tokens, bound from the <c>Auth</c> configuration section.</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>
    /// A Web PubSub connection string (<c>Endpoint=https://host;AccessKey=key;Version=1.0;</c>), as Azure Web PubSub
    /// hands out, so an application configured for Azure works unchanged. Its key signs client tokens (before any of
    /// <see cref="AccessKeys"/>). The default is none.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A second connection string whose key is accepted but never signs: set the new key as
    /// <see cref="ConnectionString"/> and the old one here while tokens signed with it are still in use, then remove
    /// it. The default is none.
    /// </summary>
    public string? SecondaryConnectionString { get; set; }

    /// <summary>
    /// Keys that sign client access tokens (HS256 over the key's UTF-8 bytes, as Azure Web PubSub does). Tokens are
    /// minted with the first and accepted with any, so a key can be rotated by adding the new one first. The
    /// default is none: then a random key is made at startup, which only suits a single local process.
    /// </summary>
    public List<string> AccessKeys { get; set; } = [];

    /// <summary>
    /// Whether <c>GET /negotiate</c> mints client access URLs for anyone who asks. The default is true when Kafka
    /// is embedded (local runs) and false otherwise: in production the application's own backend mints tokens.
    /// </summary>
    public bool? EnableNegotiate { get; set; }

    /// <summary>Roles that tokens minted by <c>/negotiate</c> carry. The default lets a client join, leave and send to any group.</summary>
    public List<string> NegotiateRoles { get; set; } = [];

    /// <summary>Lifetime of tokens minted by <c>/negotiate</c>. The default is 1 hour.</summary>
    public TimeSpan NegotiateTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Clock skew allowed when checking a token's expiry. The default is 5 minutes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Shortest accepted access key, in characters.</summary>
    [Range(16, 4096)]
    public int MinimumKeyLength { get; set; } = 32;
}
