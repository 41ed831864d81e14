using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The unmodified <c>@azure/web-pubsub-express</c> app of <c>tests/js/web-pubsub-upstream.mjs</c> as a hub's event
/// handler, in a Node process of its own: started with a behaviour, it reports each event it handled, which this
/// keeps in the order they came.
/// </summary>
internal sealed class UpstreamScript : IAsyncDisposable
{
    private static readonly NodeScripts Scripts = NodeScripts.InRepository(typeof(UpstreamScript).Assembly);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonObject> _events = new();
    private readonly Task _reading;
    private readonly Task<string> _errors;

    private UpstreamScript(Process process, int port)
    {
        _process = process;
        Port = port;
        _errors = process.StandardError.ReadToEndAsync();
        _reading = Task.Run(ReadAsync);
    }

    public int Port { get; }

    /// <summary>The URL template that points a hub's event handler here.</summary>
    public string UrlTemplate => $"http://127.0.0.1:{Port}/eventhandler/{{event}}";

    /// <summary>Every event the app handled so far (its JSON lines), in order.</summary>
    public IReadOnlyList<JsonObject> Events => _events.ToArray();

    /// <summary>Starts the app with <paramref name="behaviour"/> (see the script's header); returns once it listens.</summary>
    public static async Task<UpstreamScript> StartAsync(JsonObject behaviour, CancellationToken ct)
    {
        await Scripts.InstallAsync(ct);
        var process = Scripts.Start("node", ["web-pubsub-upstream.mjs", behaviour.ToJsonString()]);
        var first = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
        if (first is null || JsonNode.Parse(first)?["listening"] is not { } port)
        {
            var errors = process.HasExited ? await process.StandardError.ReadToEndAsync(ct) : "";
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new InvalidOperationException($"The upstream app did not start: '{first}' {errors}");
        }

        return new UpstreamScript(process, (int)port);
    }

    /// <summary>The <paramref name="count"/> events <paramref name="match"/> accepts, once the app handled them.</summary>
    public async Task<JsonObject[]> WaitForAsync(Func<JsonObject, bool> match, int count, CancellationToken ct)
    {
        try
        {
            await Wait.UntilAsync(() => Events.Count(match) >= count || _process.HasExited, ct);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"The upstream handled {Events.Count(match)} of {count} such events: {string.Join(Environment.NewLine, Events.Select(e => e.ToJsonString()))}");
        }

        if (_process.HasExited)
        {
            Assert.Fail($"The upstream app ended: {await _errors}");
        }

        return Events.Where(match).ToArray();
    }

    /// <summary>The events of <paramref name="connectionId"/> once <paramref name="count"/> were handled.</summary>
    public Task<JsonObject[]> EventsOfAsync(string connectionId, int count, CancellationToken ct) =>
        WaitForAsync(e => (string?)e["connectionId"] == connectionId, count, ct);

    /// <summary>Merges <paramref name="behaviour"/> over the app's current one.</summary>
    public async Task SetBehaviourAsync(JsonObject behaviour, CancellationToken ct)
    {
        using var response = await Http.PostAsJsonAsync($"http://127.0.0.1:{Port}/admin/behaviour", behaviour, ct);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await _reading.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (JsonNode.Parse(line) is JsonObject record)
            {
                _events.Enqueue(record);
            }
        }
    }
}
