using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace BrokerChat.Testing;

/// <summary>
/// The Node scripts in <c>tests/js</c> that drive BrokerChat with the Azure Web PubSub JavaScript packages from npm,
/// installed from the lock file (<c>npm ci</c>) when what <c>node_modules</c> holds is missing or differs from it.
/// </summary>
public sealed class NodeScripts
{
    /// <summary>The client package at its newest release (1.1.0, pinned in <c>tests/js/package.json</c>).</summary>
    public const string NewestClient = "@azure/web-pubsub-client";

    /// <summary>The npm alias under which <c>tests/js/package.json</c> pins <c>@azure/web-pubsub-client</c> 1.0.4.</summary>
    public const string Client104 = "web-pubsub-client-1.0.4";

    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static readonly HashSet<string> Installed = new(StringComparer.Ordinal);

    /// <summary>Scripts in <paramref name="directory"/>, which holds <c>package.json</c> and <c>package-lock.json</c>.</summary>
    public NodeScripts(string directory) => Directory = directory;

    /// <summary>The scripts directory, working directory of every process started here.</summary>
    public string Directory { get; }

    /// <summary>The repository's <c>tests/js</c>, found from the <c>RepoRoot</c> assembly metadata of <paramref name="testAssembly"/>.</summary>
    public static NodeScripts InRepository(Assembly testAssembly)
    {
        var root = testAssembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "RepoRoot")?.Value
            ?? throw new InvalidOperationException($"{testAssembly.GetName().Name} has no RepoRoot assembly metadata (<AssemblyMetadata Include=\"RepoRoot\" Value=\"$(RepoRoot)\" />).");
        return new NodeScripts(Path.Combine(root, "tests", "js"));
    }

    /// <summary>
    /// Makes <c>node_modules</c> hold every dependency at the version the lock file names, running <c>npm ci</c> if it
    /// does not. Test processes running at once (one per test project) install one at a time: <c>npm ci</c> replaces
    /// <c>node_modules</c> whole, so the check and the install run under a lock held across processes.
    /// </summary>
    public async Task InstallAsync(CancellationToken cancellationToken)
    {
        await InstallGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Installed.Contains(Directory))
            {
                return;
            }

            // A named mutex belongs to the thread that took it: take it, install and release it on a thread of our own.
            await Task.Factory.StartNew(() => InstallUnderMachineLock(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            Installed.Add(Directory);
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>The version in <c>node_modules/{package}/package.json</c>, or null when the package is not installed.</summary>
    public string? InstalledVersion(string package)
    {
        var path = Path.Combine(Directory, "node_modules", package, "package.json");
        return File.Exists(path) ? (string?)JsonNode.Parse(File.ReadAllText(path))?["version"] : null;
    }

    /// <summary>Starts <paramref name="file"/> in <see cref="Directory"/> with its standard output and error redirected.</summary>
    public Process Start(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
    }

    /// <summary>Runs <paramref name="file"/> to its end; past <paramref name="timeout"/> it is killed and <see cref="TimeoutException"/> thrown.</summary>
    public async Task<NodeRun> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Start(file, args);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new NodeRun(process.ExitCode, await output.ConfigureAwait(false), await errors.ConfigureAwait(false));
    }

    private void InstallUnderMachineLock(CancellationToken cancellationToken)
    {
        var name = "Global\\brokerchat-npm-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(Directory))))[..16];
        using var mutex = new Mutex(false, name);
        try
        {
            // A named mutex cannot be waited on together with the token's handle on Unix: wait in slices, and between
            // slices see whether the test was cancelled or the other process has held the lock too long.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (!mutex.WaitOne(TimeSpan.FromMilliseconds(250)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Another process held the npm install lock of {Directory} for 5 minutes.");
                }
            }
        }
        catch (AbandonedMutexException)
        {
            // A process ended while holding the lock: this thread holds it now, and the check below sees what it left.
        }

        try
        {
            if (StaleDependencies() is { Count: > 0 } stale)
            {
                var run = RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(3), cancellationToken).GetAwaiter().GetResult();
                if (run.ExitCode != 0)
                {
                    throw new InvalidOperationException($"npm ci failed in {Directory} (to install {string.Join(", ", stale)}) with {run.ExitCode}: {run.Errors}");
                }

                if (StaleDependencies() is { Count: > 0 } still)
                {
                    throw new InvalidOperationException($"After npm ci, node_modules in {Directory} still differs from the lock file: {string.Join(", ", still)}");
                }
            }
        }
        finally
        {
            mutex.ReleaseMutex();
        }
    }

    /// <summary>The direct dependencies whose installed version is missing or differs from the lock file's, as "name (installed → locked)".</summary>
    private List<string> StaleDependencies()
    {
        var packages = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "package-lock.json")))!["packages"]!.AsObject();
        var stale = new List<string>();
        foreach (var (name, _) in packages[""]!["dependencies"]!.AsObject())
        {
            var locked = (string?)packages["node_modules/" + name]?["version"];
            var installed = InstalledVersion(name);
            if (locked is null || installed != locked)
            {
                stale.Add($"{name} ({installed ?? "missing"} → {locked ?? "not locked"})");
            }
        }

        return stale;
    }
}

/// <summary>How a process started by <see cref="NodeScripts"/> ended.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Output">All it wrote to standard output.</param>
/// <param name="Errors">All it wrote to standard error.</param>
public sealed record NodeRun(int ExitCode, string Output, string Errors);
