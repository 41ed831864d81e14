using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>A standalone functions process (<c>BrokerChat.Functions.dll</c>) joined to the Kafka, topics and functions group of a host.</summary>
public sealed partial class FunctionsProcess : IAsyncDisposable
{
    private const int SigStop = 19;
    private const int SigCont = 18;
    private readonly Process _process;
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _owned = [];

    private FunctionsProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line || PartitionsLine().Match(line) is not { Success: true } match)
            {
                return;
            }

            var partitions = match.Groups["list"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
            lock (_owned)
            {
                if (match.Groups["assigned"].Success)
                {
                    _owned.UnionWith(partitions);
                }
                else
                {
                    _owned.ExceptWith(partitions);
                }
            }

            if (match.Groups["assigned"].Success)
            {
                _assigned.TrySetResult();
            }
            else if (match.Groups["lost"].Success)
            {
                _lost.TrySetResult();
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Completes when the process first owns partitions.</summary>
    public Task Assigned => _assigned.Task;

    /// <summary>Completes when the process first logs that it lost partitions (it learnt another member may own them).</summary>
    public Task Lost => _lost.Task;

    /// <summary>The inbound partitions the process owns, as its log says.</summary>
    public IReadOnlySet<int> Owned
    {
        get
        {
            lock (_owned)
            {
                return _owned.ToHashSet();
            }
        }
    }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts a functions process on the Kafka of <paramref name="host"/>, with <paramref name="settings"/> on top.</summary>
    public static FunctionsProcess Start(BrokerChatHost host, HostSettings? settings = null)
    {
        var functions = Path.Combine(AppContext.BaseDirectory, "BrokerChat.Functions.dll");
        var start = new ProcessStartInfo("dotnet", [functions, .. host.JoinSettings.ToArgs(), .. settings?.ToArgs() ?? []])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return new FunctionsProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the functions process."));
    }

    /// <summary>Freezes the process (SIGSTOP): it holds what it holds, sends nothing (no heartbeat, no produce) until <see cref="Continue"/>.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>Lets a frozen process run on (SIGCONT), from exactly where it stopped.</summary>
    public void Continue() => Signal(SigCont);

    /// <summary>Kills the process at once (SIGKILL): no drain, no commit, no leaving the group.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Continue(); // a frozen process would not take its SIGKILL until continued
        }

        await KillAsync();
        _process.Dispose();
    }

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"Signal {signal} could not be sent to process {_process.Id} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [GeneratedRegex(@"(?:(?<assigned>was assigned partitions)|had partitions|(?<lost>lost partitions)) \[(?<list>[0-9,]*)\]")]
    private static partial Regex PartitionsLine();
}
