using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BrokerChat.LoadTool;

/// <summary>A connector (embedded Kafka, two workers) running as its own OS process, measured from outside.</summary>
internal sealed class ConnectorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private ConnectorProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        _http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    public static async Task<ConnectorProcess> StartAsync(string accessKey, IEnumerable<string> extraArgs)
    {
        var port = Bench.SystemUnderTest.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "BrokerChat.Connector.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--urls", $"http://0.0.0.0:{port}", "--Auth:AccessKeys:0", accessKey, "--Logging:LogLevel:Default", "Warning" }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the connector.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("[connector] " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var connector = new ConnectorProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        await connector.WaitReadyAsync().ConfigureAwait(false);
        return connector;
    }

    /// <summary>Resident set size of the connector process, from /proc.</summary>
    public long RssBytes() => Bench.ProcessUsage.Of([_process.Id]).RssBytes;

    /// <summary>A metric from the connector's /metrics endpoint, summed over its series.</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await _http.GetStringAsync("metrics").ConfigureAwait(false);
        return text.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The raw series lines of a metric, for reporting tags such as close reasons.</summary>
    public async Task<IReadOnlyList<string>> MetricLinesAsync(string name)
    {
        var text = await _http.GetStringAsync("metrics").ConfigureAwait(false);
        return text.Split('\n').Where(line => line.StartsWith(name + "{", StringComparison.Ordinal)).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _process.Dispose();
        _http.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The connector exited with {_process.ExitCode}.");
            }

            try
            {
                if ((await _http.GetAsync("readyz").ConfigureAwait(false)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException("The connector did not become ready.");
    }
}
