using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace BrokerChat.Testing;

/// <summary>
/// The unmodified <c>@azure/web-pubsub-express</c> app server of <c>tests/js/web-pubsub-upstream.mjs</c> as a hub's
/// event handler: started with a behaviour, its behaviour changed while it runs, and each event it handled read
/// from the line it prints.
/// </summary>
public sealed class ExpressUpstream : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateBounded<JsonObject>(10_000);
    private readonly Task _reading;
    private readonly HttpClient _http = new();

    private ExpressUpstream(Process process, int port)
    {
        _process = process;
        Port = port;
        _reading = Task.Run(ReadEventsAsync);
    }

    /// <summary>The port it listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The URL template of its event handler: every event goes to its one path.</summary>
    public string UrlTemplate => $"http://127.0.0.1:{Port}/eventhandler";

    /// <summary>Starts it (the npm packages installed first) and waits until it listens.</summary>
    public static async Task<ExpressUpstream> StartAsync(NodeScripts scripts, JsonObject behaviour, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        ArgumentNullException.ThrowIfNull(behaviour);
        await scripts.InstallAsync(cancellationToken).ConfigureAwait(false);
        var process = scripts.Start("node", ["web-pubsub-upstream.mjs", behaviour.ToJsonString()]);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken)
                ?? throw new InvalidOperationException("The upstream ended before it listened: " + await process.StandardError.ReadToEndAsync(cancellationToken));
            return new ExpressUpstream(process, (int)JsonNode.Parse(first)!["listening"]!);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Replaces parts of its behaviour (each top-level key given replaces that key's value).</summary>
    public async Task SetBehaviourAsync(JsonObject behaviour, CancellationToken cancellationToken)
    {
        using var content = new StringContent(behaviour.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri($"http://127.0.0.1:{Port}/admin/behaviour"), content, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The next event it handled that matches, skipping the others; fails after 20 s.</summary>
    public async Task<JsonObject> NextAsync(Func<JsonObject, bool> predicate, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            var line = await _events.Reader.ReadAsync(timeout.Token);
            if (predicate(line))
            {
                return line;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _reading.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        _http.Dispose();
    }

    private async Task ReadEventsAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject record)
            {
                _events.Writer.TryWrite(record); // bounded: past 10,000 unread events the oldest are not needed
            }
        }

        _events.Writer.TryComplete();
    }
}
