using System.Diagnostics;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>A standalone functions process (<c>BrokerChat.Functions.dll</c>) joined to the Kafka, topics and functions group of a host.</summary>
public sealed class FunctionsProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FunctionsProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("was assigned partitions", StringComparison.Ordinal) == true)
            {
                _assigned.TrySetResult();
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Completes when the process first owns partitions.</summary>
    public Task Assigned => _assigned.Task;

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
        await KillAsync();
        _process.Dispose();
    }
}
