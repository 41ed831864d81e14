using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing.Network;

/// <summary>
/// A connector process (<c>BrokerChat.Connector.dll</c>, no workers) running on a lab host (<c>ip netns exec</c>):
/// everything it does on the network, its listening socket and its Kafka connections, goes through that host's link,
/// so <see cref="LabHost.CutAsync"/> cuts it off from whoever reaches it there. It listens on <see cref="Port"/> of
/// every address of its host; <see cref="BaseUri"/> reaches it across the link, <see cref="LocalBaseUri"/> from the
/// test's namespace without using the link (through a forwarder onto the host's own loopback, as clients or a health
/// probe beside it would). Its probes (<c>/readyz</c>, <c>/metrics</c>) go that way, so they answer while it is cut off.
/// </summary>
public sealed class LabConnector : IAsyncDisposable
{
    /// <summary>The port it listens on (a host of its own has every port free).</summary>
    public const int Port = 8080;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http;
    private readonly TcpForwarder _local;

    private LabConnector(LabHost host, Process process)
    {
        Host = host;
        _process = process;
        BaseUri = new Uri($"http://{host.Address}:{Port.ToString(CultureInfo.InvariantCulture)}/");
        _local = new TcpForwarder(
            TcpForwarder.Listen(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), new IPEndPoint(IPAddress.Loopback, 0)),
            new Uri($"tcp://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}"),
            host.CreateSocket);
        _http = new HttpClient { BaseAddress = LocalBaseUri, Timeout = TimeSpan.FromSeconds(5) };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The lab host it runs on.</summary>
    public LabHost Host { get; }

    /// <summary>Its address across its host's link.</summary>
    public Uri BaseUri { get; }

    /// <summary>Its address in the test's namespace that does not use its host's link (a forwarder on 127.0.0.1).</summary>
    public Uri LocalBaseUri => _local.BaseUri;

    /// <summary>What it logged so far (its last 2,000 lines), for a failing test to show.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>
    /// Starts a connector with <paramref name="settings"/> (a host's join settings: its Kafka, topics and functions group)
    /// over the test defaults on <paramref name="host"/>, and waits until its <c>/readyz</c> answers OK.
    /// </summary>
    public static async Task<LabConnector> StartAsync(LabHost host, HostSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var all = BrokerChatHost.Defaults().Apply(settings);
        all.Urls = $"http://0.0.0.0:{Port.ToString(CultureInfo.InvariantCulture)}";
        all.Functions.InProcessWorkers = 0;
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", host.Name, "dotnet", Path.Combine(AppContext.BaseDirectory, "BrokerChat.Connector.dll") }.Concat(all.ToArgs()))
        {
            start.ArgumentList.Add(argument);
        }

        var connector = new LabConnector(host, Process.Start(start) ?? throw new InvalidOperationException("Could not start the connector process."));
        try
        {
            await Wait.UntilAsync(() => connector.IsReadyAsync(cancellationToken), StartTimeout, cancellationToken).ConfigureAwait(false);
            return connector;
        }
        catch (Exception ex)
        {
            await connector.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The connector on {host.Name} did not get ready: {string.Join(Environment.NewLine, connector.Output.TakeLast(40))}", ex);
        }
    }

    /// <summary>Whether its <c>/readyz</c> answers OK (false when it cannot be reached).</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"The connector on {Host.Name} exited ({_process.ExitCode}).");
        }

        try
        {
            using var response = await _http.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The status of its <c>/readyz</c>.</summary>
    public async Task<HttpStatusCode> ReadyzAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>A metric of its <c>/metrics</c>, summed over its series whose labels contain <paramref name="label"/> (all when null).</summary>
    public async Task<double> MetricAsync(string name, string? label, CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync(new Uri("metrics", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return text.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _process.Dispose();
        _http.Dispose();
        await _local.DisposeAsync().ConfigureAwait(false);
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 2_000 && _output.TryDequeue(out _))
        {
        }
    }
}
