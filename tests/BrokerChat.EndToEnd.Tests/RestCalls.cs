using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>REST API calls as a server SDK makes them: a token for the request URL, signed with the access key.</summary>
internal static class RestCalls
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Calls <paramref name="path"/> on the connector at <paramref name="baseUri"/> and returns the status.</summary>
    public static async Task<HttpStatusCode> CallAsync(Uri baseUri, HttpMethod method, string path, CancellationToken ct, string? body = null, string mediaType = "text/plain")
    {
        var url = new Uri(baseUri, path);
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, mediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(TwoConnectorsFixture.AccessKey, url.ToString()));
        using var response = await Http.SendAsync(request, ct);
        return response.StatusCode;
    }
}
