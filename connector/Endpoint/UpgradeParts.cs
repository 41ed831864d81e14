using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// The query parameters and headers of an upgrade request, as a <c>connect</c> handler is shown them: without the
/// access token, the <c>Authorization</c> header and cookies, and bounded (at most <see cref="MaxNames"/> names, of
/// at most <see cref="MaxValues"/> values of at most <see cref="MaxValueLength"/> characters each). Read only when a
/// handler asks, from the request as it arrived (<see cref="HttpRequestHead"/> off the transport, or an
/// <see cref="HttpRequest"/> through the HTTP pipeline).
/// </summary>
internal static class UpgradeParts
{
    public const int MaxNames = 64;
    public const int MaxValues = 16;
    public const int MaxValueLength = 4096;

    public static IReadOnlyDictionary<string, string[]> Query(object? source) => source switch
    {
        HttpRequestHead head => Bounded(head.QueryValues.SelectMany(p => p.Value.Select(v => (p.Key, v))), StringComparer.Ordinal, IsSecretParameter),
        HttpRequest request => Bounded(request.Query.SelectMany(p => p.Value.Select(v => (p.Key, v))), StringComparer.Ordinal, IsSecretParameter),
        _ => new Dictionary<string, string[]>(),
    };

    public static IReadOnlyDictionary<string, string[]> Headers(object? source) => source switch
    {
        HttpRequestHead head => Bounded(head.Headers.Select(h => (h.Key, (string?)h.Value)), StringComparer.OrdinalIgnoreCase, IsSecretHeader),
        HttpRequest request => Bounded(request.Headers.SelectMany(h => h.Value.Select(v => (h.Key, v))), StringComparer.OrdinalIgnoreCase, IsSecretHeader),
        _ => new Dictionary<string, string[]>(),
    };

    private static bool IsSecretParameter(string name) => string.Equals(name, WebPubSubQueryParameters.AccessToken, StringComparison.Ordinal);

    private static bool IsSecretHeader(string name) =>
        string.Equals(name, HeaderNames.Authorization, StringComparison.OrdinalIgnoreCase) || string.Equals(name, HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string[]> Bounded(IEnumerable<(string Name, string? Value)> pairs, StringComparer comparer, Func<string, bool> secret)
    {
        var lists = new Dictionary<string, List<string>>(comparer);
        foreach (var (name, value) in pairs)
        {
            if (value is null || value.Length > MaxValueLength || name.Length > MaxValueLength || secret(name))
            {
                continue;
            }

            if (!lists.TryGetValue(name, out var values))
            {
                if (lists.Count == MaxNames)
                {
                    continue;
                }

                lists[name] = values = [];
            }

            if (values.Count < MaxValues)
            {
                values.Add(value);
            }
        }

        return lists.ToDictionary(p => p.Key, p => p.Value.ToArray(), comparer);
    }
}
