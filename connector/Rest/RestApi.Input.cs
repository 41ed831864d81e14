using BrokerChat.Connector.Filters;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace BrokerChat.Connector.Rest;

/// <summary>Reading a REST request: the common query parameters, the bounded body, its data type and the raw path.</summary>
internal sealed partial class RestApi
{
    private void ReadCommonQuery(HttpContext context, InboundFrame frame, bool excluded, bool filter)
    {
        var query = context.Request.Query;
        if (excluded && query["excluded"].Count > 0)
        {
            var ids = query["excluded"].Where(e => !string.IsNullOrEmpty(e)).Select(e => e!).ToArray();
            if (ids.Length > _options.MaxExcluded || ids.Any(e => e.Length > MaxIdLength))
            {
                throw new BadRequestException($"At most {_options.MaxExcluded} connection ids may be excluded.");
            }

            frame.ExcludedConnectionIds = ids;
        }

        if (filter && query["filter"].ToString() is { Length: > 0 } text)
        {
            CheckFilter(text);
            frame.Filter = text;
        }
    }

    private static void CheckFilter(string? filter)
    {
        if (filter is null)
        {
            return;
        }

        try
        {
            ODataFilter.Parse(filter);
        }
        catch (FilterException ex)
        {
            throw new BadRequestException("Invalid filter: " + ex.Message);
        }
    }

    private async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        var max = _options.MaxBodyBytes;
        if (context.Request.ContentLength > max)
        {
            throw new BadRequestException($"The body is larger than {max} bytes.", StatusCodes.Status413PayloadTooLarge, "PayloadTooLarge");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw new BadRequestException($"The body is larger than {max} bytes.", StatusCodes.Status413PayloadTooLarge, "PayloadTooLarge");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>REST content type → data type: text/plain is text, application/json JSON, anything else binary.</summary>
    private static DataType DataTypeOf(string? contentType)
    {
        if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            if (media.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                return DataType.Text;
            }

            if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return DataType.Json;
            }
        }

        return DataType.Binary;
    }

    private static string Id(string id) => id.Length is > 0 and <= MaxIdLength ? id : throw new BadRequestException("The connection or user id must be 1 to 256 characters.");

    private static string Group(string group) => GroupNames.IsValid(group) ? group : throw new BadRequestException("Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.");

    /// <summary>The request path as the client sent it (not yet percent-decoded), without the query.</summary>
    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            return context.Request.PathBase + context.Request.Path.ToUriComponent();
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? raw : raw[..query];
    }
}
