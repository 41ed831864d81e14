using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BrokerChat.History;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>
/// Two connectors on one Kafka with room history on SQLite in a temp folder: the first runs the workers and the
/// history function, the second only holds clients and reads the same store. Payloads over 256 bytes are refused by the
/// workers (not by the connectors), and the hub <see cref="NoHistoryHub"/> keeps no history.
/// </summary>
public sealed class ChangesFixture : IAsyncLifetime
{
    /// <summary>The largest payload the workers accept here.</summary>
    public const int MaxMessageBytes = 256;

    /// <summary>A hub whose rooms are not kept.</summary>
    public const string NoHistoryHub = "ephemeral";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The connector with the workers and the history function.</summary>
    public BrokerChatHost First { get; private set; } = null!;

    /// <summary>A connector without workers.</summary>
    public BrokerChatHost Second { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-changes"), CancellationToken.None);
        var first = Settings(history);
        first.Kafka.FetchWaitMaxMs = 10;
        first.Functions.MaxMessageBytes = MaxMessageBytes;
        first.Functions.Moderation.MessagesPerSecond = 0;
        First = await BrokerChatHost.StartAsync(first);
        Second = await SecondConnector.StartAsync(First, Settings(history));
    }

    public async ValueTask DisposeAsync()
    {
        await Second.DisposeAsync();
        await First.DisposeAsync();
    }

    /// <summary>Waits until the store's page of <paramref name="group"/> (REST, the latest 100) satisfies <paramref name="done"/>, and returns its messages.</summary>
    public async Task<JsonArray> WaitForPageAsync(string group, Func<JsonArray, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            var page = (await GetAsync($"/api/hubs/chat/groups/{group}/messages?limit=100", ct))["value"]!.AsArray();
            if (done(page))
            {
                return page;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The store's page of {group} reached the expected state within {Timeout}: {page.ToJsonString()}");
            await poll.WaitForNextTickAsync(ct);
        }
    }

    /// <summary>The id of the stored message of <paramref name="group"/> whose data is <paramref name="text"/>, once the store holds it.</summary>
    public async Task<string> StoredIdAsync(string group, string text, CancellationToken ct)
    {
        var page = await WaitForPageAsync(group, p => p.Any(m => (string?)m!["data"] == text), ct);
        return (string)page.Single(m => (string?)m!["data"] == text)!["messageId"]!;
    }

    /// <summary>GETs a REST path of the first connector, expecting 200.</summary>
    public async Task<JsonObject> GetAsync(string pathAndQuery, CancellationToken ct)
    {
        var url = new Uri(First.BaseUri, pathAndQuery);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(BrokerChatHost.AccessKey, url.GetLeftPart(UriPartial.Path)));
        using var response = await Http.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
    }

    private static HostSettings Settings(HistoryOptions history)
    {
        var settings = new HostSettings();
        settings["History:Enabled"] = "true";
        settings["History:Provider"] = history.Provider.ToString();
        settings["History:ConnectionString"] = history.ConnectionString;
        settings["History:FlushInterval"] = "00:00:00.010";
        settings[$"History:Hubs:{NoHistoryHub}:Enabled"] = "false";
        return settings;
    }
}
