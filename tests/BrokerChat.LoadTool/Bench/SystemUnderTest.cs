using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Names;
using Microsoft.Extensions.Options;

namespace BrokerChat.LoadTool.Bench;

/// <summary>The systems a run measures.</summary>
public enum SystemKind
{
    /// <summary>
    /// BrokerChat: one connector as users run it on one machine (embedded Kafka, two function workers in its process),
    /// room history off.
    /// </summary>
    BrokerChat,

    /// <summary>BrokerChat with room history on: the same connector, its history function writing to SQLite in a temporary folder.</summary>
    BrokerChatHistory,

    /// <summary>ASP.NET Core SignalR hub with the Redis backplane, and its redis-server.</summary>
    SignalRRedis,

    /// <summary>A bare Kestrel WebSocket broadcast server with no broker.</summary>
    Bare,
}

/// <summary>
/// One system started fresh as its own OS processes, measured from outside through /proc: RSS, CPU time and
/// threads summed over every process it needs (for SignalR, the app and redis-server).
/// </summary>
internal sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly List<Process> _processes;
    private readonly HttpClient _http;

    // BrokerChat+history's database folder, removed with the system.
    private readonly string? _dataFolder;

    private SystemUnderTest(SystemKind kind, List<Process> processes, Uri baseUri, Uri clientUrl, string? dataFolder = null)
    {
        Kind = kind;
        _processes = processes;
        _dataFolder = dataFolder;
        ClientUrl = clientUrl;
        _http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
    }

    public SystemKind Kind { get; }

    public string Name => DisplayName(Kind);

    /// <summary>Whether this is BrokerChat, with or without history (speaks its protocols, reports its /metrics).</summary>
    public bool IsBrokerChat => IsBrokerChatKind(Kind);

    public WireProtocol Protocol => Kind == SystemKind.SignalRRedis ? WireProtocol.SignalR : WireProtocol.WebPubSub;

    /// <summary>The WebSocket URL clients connect to (with an access token where the system needs one).</summary>
    public Uri ClientUrl { get; }

    public IEnumerable<int> ProcessIds => _processes.Select(p => p.Id);

    public static string DisplayName(SystemKind kind) => kind switch
    {
        SystemKind.BrokerChat => "BrokerChat",
        SystemKind.BrokerChatHistory => "BrokerChat+history",
        SystemKind.SignalRRedis => "SignalR+Redis",
        _ => "Bare Kestrel",
    };

    public static bool IsBrokerChatKind(SystemKind kind) => kind is SystemKind.BrokerChat or SystemKind.BrokerChatHistory;

    /// <summary>A system as <c>--systems</c> names it: its kind's name or its display name, in any case (<c>BrokerChat+history</c>).</summary>
    public static SystemKind ParseKind(string text)
    {
        foreach (var kind in Enum.GetValues<SystemKind>())
        {
            if (text.Equals(kind.ToString(), StringComparison.OrdinalIgnoreCase) || text.Equals(DisplayName(kind), StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new ArgumentException($"Unknown system '{text}'; known: {string.Join(", ", Enum.GetValues<SystemKind>().Select(DisplayName))}.", nameof(text));
    }

    /// <summary>
    /// Starts the system; tries again on another port when the first attempt fails (a port found free can be taken
    /// by someone else, such as the embedded Kafka's brokers, before the server binds it).
    /// </summary>
    public static async Task<SystemUnderTest> StartAsync(SystemKind kind)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(kind).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < 3 && ex is InvalidOperationException or TimeoutException)
            {
                Console.Error.WriteLine($"{DisplayName(kind)} did not start ({ex.Message}); trying another port.");
            }
        }
    }

    private static async Task<SystemUnderTest> StartOnceAsync(SystemKind kind)
    {
        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var processes = new List<Process>();
        string? dataFolder = null;
        try
        {
            switch (kind)
            {
                case SystemKind.BrokerChat or SystemKind.BrokerChatHistory:
                {
                    var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
                    dataFolder = kind == SystemKind.BrokerChatHistory ? Directory.CreateTempSubdirectory("brokerchat-bench-history-").FullName : null;
                    // Both say whether history is on, so that neither depends on the local run's default.
                    string[] history = dataFolder is null
                        ? ["--History:Enabled", "false"]
                        : ["--History:Enabled", "true", "--History:Provider", "Sqlite", "--History:ConnectionString", $"Data Source={Path.Combine(dataFolder, "history.db")}"];
                    processes.Add(StartProcess("connector", "dotnet",
                    [
                        Path.Combine(AppContext.BaseDirectory, "BrokerChat.Connector.dll"),
                        "--urls", $"http://127.0.0.1:{port}",
                        "--Auth:AccessKeys:0", key,
                        "--Logging:LogLevel:Default", "Warning",
                        "--Connector:MaxConnectionsPerAddress", "1000000",
                        "--Connector:MaxConnectionsPerUser", "1000000",
                        "--Connector:MaxMessagesPerSecond", "100000",
                        "--Connector:MessageBurst", "100000",
                        "--Functions:Moderation:MessagesPerSecond", "0",
                        .. history,
                    ]));
                    var system = new SystemUnderTest(kind, processes, baseUri, ClientUri(baseUri, key), dataFolder);
                    await system.WaitReadyAsync("readyz").ConfigureAwait(false);
                    return system;
                }

                case SystemKind.SignalRRedis:
                {
                    var redisPort = FreePort();
                    processes.Add(StartProcess("redis", "redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]));
                    await WaitForRedisAsync(redisPort).ConfigureAwait(false);
                    processes.Add(StartProcess("signalr", "dotnet", [PeersDll, "signalr", "--urls", $"http://127.0.0.1:{port}", "--redis", $"127.0.0.1:{redisPort}"]));
                    var system = new SystemUnderTest(kind, processes, baseUri, new Uri($"ws://127.0.0.1:{port}/chat"));
                    await system.WaitReadyAsync("healthz").ConfigureAwait(false);
                    return system;
                }

                default:
                {
                    processes.Add(StartProcess("bare", "dotnet", [PeersDll, "bare", "--urls", $"http://127.0.0.1:{port}"]));
                    var system = new SystemUnderTest(kind, processes, baseUri, new Uri($"ws://127.0.0.1:{port}/client/hubs/bench"));
                    await system.WaitReadyAsync("healthz").ConfigureAwait(false);
                    return system;
                }
            }
        }
        catch
        {
            foreach (var process in processes)
            {
                Stop(process);
            }

            if (dataFolder is not null)
            {
                Directory.Delete(dataFolder, recursive: true);
            }

            throw;
        }
    }

    /// <summary>RSS, CPU seconds and threads, summed over the system's processes.</summary>
    public ProcessUsage Usage() => ProcessUsage.Of(ProcessIds);

    /// <summary>CPU seconds by kind of thread, over the system's processes (prefixed with the process when there are several).</summary>
    public Dictionary<string, double> ThreadCpu()
    {
        var all = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var process in _processes)
        {
            var prefix = _processes.Count > 1 ? (process.StartInfo.FileName == "dotnet" ? "app" : Path.GetFileName(process.StartInfo.FileName)) + ": " : string.Empty;
            foreach (var (name, seconds) in ProcessUsage.ThreadCpu(process.Id))
            {
                all[prefix + name] = all.GetValueOrDefault(prefix + name) + seconds;
            }
        }

        return all;
    }

    /// <summary>The managed heap after the last collection, where the system reports it (BrokerChat's /metrics).</summary>
    public Task<long?> ManagedHeapAsync() => MetricAsync("dotnet_gc_last_collection_heap_size_bytes");

    /// <summary>
    /// The sum over every series of a metric BrokerChat's /metrics reports (Prometheus name, such as
    /// <c>brokerchat_connector_sessions_token_refreshes_total</c>); null for the other systems, or when it has none yet.
    /// </summary>
    public async Task<long?> MetricAsync(string name) =>
        await MetricSeriesAsync(name).ConfigureAwait(false) is { Count: > 0 } series ? series.Values.Sum() : null;

    /// <summary>Every series of a metric BrokerChat's /metrics reports, by its labels (<c>{reason="group"}</c>, or empty); null for the other systems.</summary>
    public async Task<Dictionary<string, long>?> MetricSeriesAsync(string name)
    {
        if (!IsBrokerChat)
        {
            return null;
        }

        try
        {
            var text = await _http.GetStringAsync("metrics").ConfigureAwait(false);
            return text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is ' ' or '{')
                .GroupBy(l => l[name.Length..l.LastIndexOf(' ')], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (long)g.Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)), StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            Stop(process);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            process.Dispose();
        }

        _http.Dispose();
        if (_dataFolder is not null)
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
    }

    /// <summary>redis-server's version, or null when it is not installed.</summary>
    public static string? RedisVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            var text = process!.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var at = text.IndexOf("v=", StringComparison.Ordinal);
            return at < 0 ? text.Trim() : text[(at + 2)..].Split(' ')[0];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string PeersDll => Path.Combine(AppContext.BaseDirectory, "BrokerChat.Peers.dll");

    private static Uri ClientUri(Uri baseUri, string key)
    {
        var tokens = new AccessTokenService(Options.Create(new AuthOptions { AccessKeys = [key] }), TimeProvider.System);
        var audience = new Uri(baseUri, "client/hubs/bench").ToString();
        var token = tokens.Mint(audience, "load", [Permissions.JoinLeaveGroup, Permissions.SendToGroup], [], TimeSpan.FromHours(24));
        return new Uri($"ws://{baseUri.Authority}/client/hubs/bench?access_token={token}");
    }

    private static Process StartProcess(string name, string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {name}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                Console.Error.WriteLine($"[{name}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private async Task WaitReadyAsync(string path)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_processes.FirstOrDefault(p => p.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"{Name}: a process exited with {exited.ExitCode} while starting.");
            }

            try
            {
                if ((await _http.GetAsync(path).ConfigureAwait(false)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Name} did not become ready.");
    }

    private static async Task WaitForRedisAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A loopback port free at the moment of asking.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Resident memory, CPU time and threads of a set of processes, read from /proc.</summary>
/// <param name="RssBytes">Sum of VmRSS.</param>
/// <param name="CpuSeconds">Sum of user + system time.</param>
/// <param name="Threads">Sum of threads.</param>
internal readonly record struct ProcessUsage(long RssBytes, double CpuSeconds, int Threads)
{
    private static readonly double TicksPerSecond = 100;

    /// <summary>CPU seconds of a process's threads, grouped by thread name with trailing numbers dropped.</summary>
    public static Dictionary<string, double> ThreadCpu(int processId)
    {
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{processId}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')].TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', ' ');
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    var seconds = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                    byName[name] = byName.GetValueOrDefault(name) + seconds;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The thread has ended.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process has ended.
        }

        return byName;
    }

    public static ProcessUsage Of(IEnumerable<int> processIds)
    {
        long rss = 0;
        double cpu = 0;
        var threads = 0;
        foreach (var pid in processIds)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        rss += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                    }
                    else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    {
                        threads += int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);
                    }
                }

                // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                cpu += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process has ended.
            }
        }

        return new ProcessUsage(rss, cpu, threads);
    }
}
