using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Auth;

/// <summary>What a valid client access token grants.</summary>
/// <param name="UserId">The <c>sub</c> claim, or null for an anonymous client.</param>
/// <param name="Roles">The <c>role</c> claims.</param>
/// <param name="Groups">The <c>webpubsub.group</c> claims: groups joined at connect.</param>
public sealed record ClientIdentity(string? UserId, string[] Roles, string[] Groups)
{
    /// <summary>Every claim of the token (name to values), when they were asked for; null otherwise.</summary>
    public IReadOnlyDictionary<string, string[]>? Claims { get; init; }
}

/// <summary>
/// Mints and validates Azure Web PubSub client access tokens: compact JWS, HS256 keyed with the UTF-8 bytes of an
/// access key; <c>aud</c> = <c>{endpoint}/client/hubs/{hub}</c>, <c>sub</c> = user id, <c>role</c> and
/// <c>webpubsub.group</c> as string or array, <c>exp</c> required.
/// </summary>
/// <remarks>
/// The audience's path must be <c>/client/hubs/{hub}</c> for the hub connected to (case-insensitive); its scheme
/// and host are not compared, because behind a TLS-terminating proxy they differ from what this process sees.
/// </remarks>
public sealed class AccessTokenService
{
    private const int MaxTokenLength = 16 * 1024;
    private static readonly byte[] s_header = Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}""");
    private volatile byte[][] _keys;
    private readonly AuthOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the service from the configured keys, or a random key when none is configured.</summary>
    public AccessTokenService(IOptions<AuthOptions> options, TimeProvider timeProvider)
        : this(options.Value, timeProvider)
    {
    }

    /// <summary>
    /// Creates the service from the configured keys and follows changes to them: a key removed from configuration is
    /// refused from the next request on, one added is accepted, and connections already open are not affected.
    /// </summary>
    public AccessTokenService(IOptionsMonitor<AuthOptions> options, TimeProvider timeProvider, Action<int>? keysChanged = null)
        : this(options.CurrentValue, timeProvider)
    {
        options.OnChange(changed =>
        {
            var keys = ConfiguredKeys(changed);
            if (keys.Count > 0)
            {
                _keys = keys.Select(Encoding.UTF8.GetBytes).ToArray();
                keysChanged?.Invoke(keys.Count);
            }
        });
    }

    private AccessTokenService(AuthOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _timeProvider = timeProvider;
        var configured = ConfiguredKeys(_options);
        _keys = configured.Count > 0
            ? configured.Select(Encoding.UTF8.GetBytes).ToArray()
            : [Encoding.UTF8.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(32)))];
        IsEphemeralKey = configured.Count == 0;
    }

    /// <summary>
    /// The configured keys in the order they are tried: the connection string's (which signs), then
    /// <see cref="AuthOptions.AccessKeys"/>, then the secondary connection string's. Options are validated at startup,
    /// so connection strings that do not parse are not expected here and are skipped.
    /// </summary>
    public static List<string> ConfiguredKeys(AuthOptions options)
    {
        var keys = new List<string>();
        if (options.ConnectionString is { Length: > 0 } primary && WebPubSubConnectionString.Parse(primary, out _) is { } parsed)
        {
            keys.Add(parsed.AccessKey);
        }

        keys.AddRange(options.AccessKeys);
        if (options.SecondaryConnectionString is { Length: > 0 } secondary && WebPubSubConnectionString.Parse(secondary, out _) is { } old)
        {
            keys.Add(old.AccessKey);
        }

        return keys;
    }

    /// <summary>The keys tokens are checked with, as UTF-8 bytes; the first signs.</summary>
    internal IReadOnlyList<byte[]> Keys => _keys;

    /// <summary>True when no key is configured and tokens are signed with a key made at startup.</summary>
    public bool IsEphemeralKey { get; }

    /// <summary>Mints a token for <paramref name="audience"/> (the client URL without query).</summary>
    public string Mint(string audience, string? userId, IEnumerable<string> roles, IEnumerable<string> groups, TimeSpan lifetime)
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        using var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now);
            writer.WriteNumber("exp", now + (long)lifetime.TotalSeconds);
            if (userId is not null)
            {
                writer.WriteString("sub", userId);
            }

            WriteArray(writer, "role", roles);
            WriteArray(writer, "webpubsub.group", groups);
            writer.WriteEndObject();
        }

        var signingInput = Base64Url.EncodeToString(s_header) + "." + Base64Url.EncodeToString(payload.ToArray());
        var signature = HMACSHA256.HashData(_keys[0], Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private const string Malformed = "The access token is malformed.";

    /// <summary>
    /// Validates a token for <paramref name="hub"/>; returns null and a reason when it is not acceptable. With
    /// <paramref name="withClaims"/> the identity also carries every claim (for a hub's <c>connect</c> handler).
    /// </summary>
    public ClientIdentity? Validate(string? token, string hub, out string? failure, bool withClaims = false)
    {
        using var document = VerifiedPayload(token, out failure);
        if (document is null)
        {
            return null;
        }

        try
        {
            var identity = ReadClaims(document.RootElement, hub, out failure);
            return identity is not null && withClaims ? identity with { Claims = AllClaims(document.RootElement) } : identity;
        }
        catch (InvalidOperationException)
        {
            // A signed claim of the wrong type, or text that is not Unicode.
            failure = Malformed;
            return null;
        }
    }

    /// <summary>
    /// Validates the access-key token of a REST API request (<c>Authorization: Bearer</c>): HS256 with a configured key,
    /// not expired, and an audience whose path is the request's path (<paramref name="requestPath"/>, as sent, without
    /// query). The audience's query string, trailing slash, case and percent-encoding do not matter; its scheme and host
    /// are not compared, as behind a TLS-terminating proxy they differ from what this process sees. Since the path
    /// names the hub, a token made for one hub's URL does nothing on another's.
    /// </summary>
    public bool ValidateServerRequest(string? token, string requestPath, out string? failure)
    {
        using var document = VerifiedPayload(token, out failure);
        if (document is null)
        {
            return false;
        }

        try
        {
            if (!LifetimeIsValid(document.RootElement, out failure))
            {
                return false;
            }

            if (!document.RootElement.TryGetProperty("aud", out var aud) || aud.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(aud.GetString(), UriKind.Absolute, out var audience) || !SamePath(audience.AbsolutePath, requestPath))
            {
                failure = "The access token's audience is not this request's URL.";
                return false;
            }

            return true;
        }
        catch (InvalidOperationException)
        {
            // A signed claim of the wrong type, or text that is not Unicode.
            failure = Malformed;
            return false;
        }
    }

    private static bool SamePath(string audiencePath, string requestPath)
    {
        var a = audiencePath.TrimEnd('/');
        var r = requestPath.TrimEnd('/');
        return string.Equals(a, r, StringComparison.OrdinalIgnoreCase)
            || string.Equals(Uri.UnescapeDataString(a), Uri.UnescapeDataString(r), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The token's payload when it is a compact JWS signed with HS256 by a configured key, else null and why.</summary>
    private JsonDocument? VerifiedPayload(string? token, out string? failure)
    {
        failure = null;
        if (string.IsNullOrEmpty(token))
        {
            failure = "An access token is required.";
            return null;
        }

        if (token.Length > MaxTokenLength)
        {
            failure = "The access token is too long.";
            return null;
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            failure = "The access token is not a compact JWS.";
            return null;
        }

        try
        {
            if (!HeaderIsHs256(Base64Url.DecodeFromChars(parts[0])))
            {
                failure = "The access token must be signed with HS256.";
                return null;
            }

            var signature = Base64Url.DecodeFromChars(parts[2]);
            var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!_keys.Any(key => CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, signingInput), signature)))
            {
                failure = "The access token signature is invalid.";
                return null;
            }

            var document = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                failure = Malformed;
                return null;
            }

            return document;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            failure = Malformed;
            return null;
        }
    }

    private bool LifetimeIsValid(JsonElement root, out string? failure)
    {
        failure = null;
        var now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)_options.ClockSkew.TotalSeconds;
        if (!root.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || !exp.TryGetInt64(out var expires))
        {
            failure = "The access token has no expiry.";
            return false;
        }

        if (expires + skew < now)
        {
            failure = "The access token has expired.";
            return false;
        }

        if (root.TryGetProperty("nbf", out var nbf) && nbf.ValueKind == JsonValueKind.Number && nbf.TryGetInt64(out var notBefore) && notBefore - skew > now)
        {
            failure = "The access token is not valid yet.";
            return false;
        }

        return true;
    }

    private ClientIdentity? ReadClaims(JsonElement root, string hub, out string? failure)
    {
        if (!LifetimeIsValid(root, out failure))
        {
            return null;
        }

        if (!root.TryGetProperty("aud", out var aud) || aud.ValueKind != JsonValueKind.String || !AudienceMatches(aud.GetString()!, hub))
        {
            failure = "The access token's audience is not this hub's client endpoint.";
            return null;
        }

        var userId = root.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
        var groups = ReadStrings(root, "webpubsub.group");
        if (groups.Any(g => !GroupNames.IsValid(g)))
        {
            failure = "The access token names an invalid group.";
            return null;
        }

        return new ClientIdentity(userId, ReadStrings(root, "role"), groups);
    }

    /// <summary>Most claims handed on; a token is at most 16 KiB, so this only bounds the count.</summary>
    private const int MaxClaims = 64;

    /// <summary>The token's claims as text: strings as they are, numbers and booleans as their JSON text, arrays item by item; objects are left out.</summary>
    private static Dictionary<string, string[]> AllClaims(JsonElement root)
    {
        var claims = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var claim in root.EnumerateObject())
        {
            if (claims.Count == MaxClaims)
            {
                break;
            }

            var values = claim.Value.ValueKind == JsonValueKind.Array
                ? claim.Value.EnumerateArray().Select(ClaimText).OfType<string>().ToArray()
                : ClaimText(claim.Value) is { } one ? [one] : [];
            if (values.Length > 0)
            {
                claims[claim.Name] = values;
            }
        }

        return claims;
    }

    private static string? ClaimText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };

    private static bool AudienceMatches(string audience, string hub)
    {
        if (!Uri.TryCreate(audience, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        return string.Equals(path, WebPubSubClientPaths.HubsPrefix + Uri.EscapeDataString(hub), StringComparison.OrdinalIgnoreCase)
            || string.Equals(Uri.UnescapeDataString(path), WebPubSubClientPaths.HubsPrefix + hub, StringComparison.OrdinalIgnoreCase);
    }

    private static bool HeaderIsHs256(byte[] header)
    {
        using var document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 4 });
        return document.RootElement.TryGetProperty("alg", out var alg) && alg.ValueKind == JsonValueKind.String && alg.GetString() == "HS256";
    }

    private static string[] ReadStrings(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray(),
            _ => [],
        };
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in list)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
