using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BrokerChat.History;
using BrokerChat.Testing;
using Microsoft.Data.Sqlite;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>Hosts with the durable room history on, and the REST reads that tell what the history function wrote.</summary>
internal static class HistoryHosts
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Settings of a host that keeps rooms in <paramref name="history"/>'s database (written every 10 ms) and <paramref name="roomHistoryMessages"/> messages of each room in memory.</summary>
    public static HostSettings Settings(HistoryOptions history, int roomHistoryMessages = 2)
    {
        var settings = new HostSettings { Connector = { RoomHistoryMessages = roomHistoryMessages } };
        settings["History:Enabled"] = "true";
        settings["History:Provider"] = history.Provider.ToString();
        settings["History:ConnectionString"] = history.ConnectionString;
        settings["History:FlushInterval"] = "00:00:00.010";
        return settings;
    }

    /// <summary>Waits until the store holds at least <paramref name="count"/> messages of the room (at most 100, a page).</summary>
    public static async Task WaitForStoredAsync(BrokerChatHost host, int count, CancellationToken ct, string hub = "chat", string group = "room")
    {
        var deadline = DateTime.UtcNow + Timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while ((await GetAsync(host, $"/api/hubs/{hub}/groups/{group}/messages?limit=100", ct))["value"]!.AsArray().Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The store holds {count} messages within {Timeout}.");
            await poll.WaitForNextTickAsync(ct);
        }
    }

    /// <summary>
    /// Holds the write lock of a SQLite history database until disposed (readers go on, in WAL mode): the history
    /// function's writes wait, then fail and are retried, until it is let go.
    /// </summary>
    public static async Task<IAsyncDisposable> HoldWritesAsync(string connectionString, CancellationToken ct)
    {
        // Not pooled: a pooled connection would keep the lock after it is disposed.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(ct);
        var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: takes the write lock now
        return new WriteLock(connection, transaction);
    }

    private sealed class WriteLock(SqliteConnection connection, SqliteTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>A REST GET with an access-key token, answered 200 with a JSON object.</summary>
    public static async Task<JsonObject> GetAsync(BrokerChatHost host, string pathAndQuery, CancellationToken ct)
    {
        using var response = await SendAsync(host, pathAndQuery, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
    }

    /// <summary>A REST GET with an access-key token.</summary>
    public static Task<HttpResponseMessage> SendAsync(BrokerChatHost host, string pathAndQuery, CancellationToken ct) =>
        SendAsync(host, HttpMethod.Get, pathAndQuery, ct);

    /// <summary>A REST call to <paramref name="host"/>, signed with its access key for the path called.</summary>
    public static Task<HttpResponseMessage> SendAsync(BrokerChatHost host, HttpMethod method, string pathAndQuery, CancellationToken ct, HttpContent? content = null)
    {
        var url = new Uri(host.BaseUri, pathAndQuery);
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(BrokerChatHost.AccessKey, url.GetLeftPart(UriPartial.Path)));
        return Http.SendAsync(request, ct).WaitAsync(Timeout, ct);
    }
}
