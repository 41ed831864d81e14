using System.Text.Json;
using BrokerChat.Connector.Filters;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Connector.Rest;

/// <summary>Why a REST request body was refused; becomes a 400 with this message.</summary>
internal sealed class RestBodyException(string message) : Exception(message);

/// <summary>The JSON bodies of REST requests, read from untrusted bytes with bounded depth and a clear refusal.</summary>
internal static class RestBodies
{
    /// <summary>Most groups one <c>:addToGroups</c> or <c>:removeFromGroups</c> request may name.</summary>
    public const int MaxGroups = 100;

    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 8 };

    /// <summary>
    /// Reads <c>{"groups": [..], "filter": ".."}</c>: 1 to <see cref="MaxGroups"/> valid group names and an optional
    /// OData filter that parses. Throws <see cref="RestBodyException"/> otherwise.
    /// </summary>
    public static (string[] Groups, string? Filter) ParseGroups(ReadOnlyMemory<byte> body)
    {
        string[] groups;
        string? filter;
        try
        {
            using var document = JsonDocument.Parse(body, s_options);
            var root = document.RootElement;
            groups = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("groups", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Take(MaxGroups + 1).Select(g => g.ValueKind == JsonValueKind.String ? g.GetString()! : "").ToArray()
                : throw new RestBodyException("The body must be {\"groups\": [...], \"filter\": \"...\"}.");
            filter = root.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException)
        {
            throw new RestBodyException("The body is not valid JSON.");
        }
        catch (InvalidOperationException)
        {
            throw new RestBodyException("The body holds text that is not valid Unicode.");
        }

        if (groups.Length is 0 or > MaxGroups || !groups.All(GroupNames.IsValid))
        {
            throw new RestBodyException($"groups must name 1 to {MaxGroups} valid groups.");
        }

        if (filter is not null)
        {
            try
            {
                ODataFilter.Parse(filter);
            }
            catch (FilterException ex)
            {
                throw new RestBodyException("Invalid filter: " + ex.Message);
            }
        }

        return (groups, filter);
    }
}
