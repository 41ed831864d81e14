using System.Net.Http.Headers;
using BrokerChat.History;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>Hosts with the durable history on, and REST calls to their history routes with an access-key token.</summary>
internal static class HistoryHosts
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A host keeping history in <paramref name="history"/>'s database, batches flushed every 10 ms, two messages per room in memory.</summary>
    public static HostSettings Settings(HistoryOptions history)
    {
        var settings = new HostSettings { Connector = { RoomHistoryMessages = 2 } };
        settings["History:Enabled"] = "true";
        settings["History:Provider"] = history.Provider.ToString();
        settings["History:ConnectionString"] = history.ConnectionString;
        settings["History:FlushInterval"] = "00:00:00.010";
        return settings;
    }

    /// <summary>A REST call to <paramref name="host"/>, signed with its access key for the path called.</summary>
    public static Task<HttpResponseMessage> SendAsync(BrokerChatHost host, HttpMethod method, string pathAndQuery, CancellationToken ct, HttpContent? content = null)
    {
        var url = new Uri(host.BaseUri, pathAndQuery);
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(BrokerChatHost.AccessKey, url.GetLeftPart(UriPartial.Path)));
        return Http.SendAsync(request, ct);
    }
}
