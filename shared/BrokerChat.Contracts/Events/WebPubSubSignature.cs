using System.Security.Cryptography;
using System.Text;

namespace BrokerChat.Contracts.Events;

/// <summary>
/// The <c>ce-signature</c> of a Web PubSub event-handler request: <c>sha256=</c> and the lower-case hex HMAC-SHA256 of
/// the connection id keyed by an access key (UTF-8), one per key, comma-separated, so a handler holding either key of a
/// rotation accepts it.
/// </summary>
public static class WebPubSubSignature
{
    private const string Prefix = "sha256=";

    /// <summary>The header value for <paramref name="connectionId"/> signed with each of <paramref name="accessKeys"/>.</summary>
    public static string Create(string connectionId, IEnumerable<string> accessKeys)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(accessKeys);
        return string.Join(",", accessKeys.Select(key => Prefix + Convert.ToHexStringLower(Hmac(key, connectionId))));
    }

    /// <summary>The header value for <paramref name="connectionId"/> signed with each of <paramref name="keys"/> (access keys as UTF-8).</summary>
    public static string Create(string connectionId, IEnumerable<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(keys);
        var message = Encoding.UTF8.GetBytes(connectionId);
        return string.Join(",", keys.Select(key => Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(key, message))));
    }

    /// <summary>Whether <paramref name="header"/> holds a signature of <paramref name="connectionId"/> by one of <paramref name="accessKeys"/>.</summary>
    public static bool IsValid(string? header, string connectionId, IEnumerable<string> accessKeys)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(accessKeys);
        if (string.IsNullOrEmpty(header) || header.Length > 4096)
        {
            return false;
        }

        var offered = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var key in accessKeys)
        {
            var expected = Encoding.ASCII.GetBytes(Prefix + Convert.ToHexStringLower(Hmac(key, connectionId)));
            foreach (var signature in offered)
            {
                if (CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature.ToLowerInvariant())))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static byte[] Hmac(string key, string connectionId) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(connectionId));
}
