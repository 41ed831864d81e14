using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace BrokerChat.Testing.Network;

/// <summary>
/// Test hosts with addresses of their own on one machine: each is a Linux network namespace joined to the test's
/// namespace by a veth pair, on a /30 of 10.128.0.0/14 chosen from the test process's id (so test processes running
/// side by side do not meet). Only these addresses are ever targeted. Making namespaces needs root and iproute2;
/// <see cref="UnavailableReason"/> says why they cannot be made, for tests to skip with. Disposing deletes every
/// namespace (and with it its link); a lab left behind by a killed test process is deleted by the next one.
/// </summary>
public sealed partial class NetworkLab : IAsyncDisposable
{
    private static readonly Lazy<Task<string?>> Unavailable = new(ProbeAsync);
    private readonly List<LabHost> _hosts = [];

    private NetworkLab()
    {
    }

    /// <summary>The lab's hosts, in the order asked for.</summary>
    public IReadOnlyList<LabHost> Hosts => _hosts;

    /// <summary>Why namespaces cannot be made here, or null when they can.</summary>
    public static Task<string?> UnavailableReason() => Unavailable.Value;

    /// <summary>
    /// Why a test that needs hosts must skip here, or null when it can run. Under <c>CI=true</c> hosts must be
    /// available (CI runs as root), so it throws instead: a skipped fault test there would hide a broken setup.
    /// </summary>
    public static async Task<string?> SkipReasonAsync()
    {
        if (await UnavailableReason().ConfigureAwait(false) is not { } reason)
        {
            return null;
        }

        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? throw new InvalidOperationException($"CI=true: test hosts cannot be made: {reason}")
            : $"No test hosts: {reason}.";
    }

    /// <summary>Makes <paramref name="hosts"/> hosts, each with its link up.</summary>
    public static async Task<NetworkLab> CreateAsync(int hosts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hosts);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hosts, 8);
        if (await UnavailableReason().ConfigureAwait(false) is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        await DeleteAbandonedAsync().ConfigureAwait(false);
        var lab = new NetworkLab();
        try
        {
            for (var i = 0; i < hosts; i++)
            {
                lab._hosts.Add(await CreateHostAsync(i).ConfigureAwait(false));
            }
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return lab;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        for (var i = 0; i < 8; i++)
        {
            await IpCommand.TryRunAsync("netns", "delete", NamespaceName(Environment.ProcessId, i)).ConfigureAwait(false);
        }
    }

    private static string NamespaceName(int processId, int host) => $"bc{processId}h{host}";

    private static async Task<LabHost> CreateHostAsync(int index)
    {
        var pid = Environment.ProcessId;
        var name = NamespaceName(pid, index);
        var outside = $"bco{pid}h{index}";
        var inside = $"bci{pid}h{index}";
        var block = (pid % 8192 * 8 + index) * 4;
        var network = $"10.{128 + (block >> 16)}.{(block >> 8) & 255}";
        var server = IPAddress.Parse($"{network}.{(block & 255) + 1}");
        var address = IPAddress.Parse($"{network}.{(block & 255) + 2}");
        await IpCommand.TryRunAsync("netns", "delete", name).ConfigureAwait(false);
        await IpCommand.RunAsync("netns", "add", name).ConfigureAwait(false);
        await IpCommand.RunAsync("link", "add", outside, "type", "veth", "peer", "name", inside).ConfigureAwait(false);
        await IpCommand.RunAsync("link", "set", inside, "netns", name).ConfigureAwait(false);
        await IpCommand.RunAsync("addr", "add", $"{server}/30", "dev", outside).ConfigureAwait(false);
        await IpCommand.RunAsync("link", "set", outside, "up").ConfigureAwait(false);
        await IpCommand.RunAsync("-n", name, "addr", "add", $"{address}/30", "dev", inside).ConfigureAwait(false);
        await IpCommand.RunAsync("-n", name, "link", "set", inside, "up").ConfigureAwait(false);
        await IpCommand.RunAsync("-n", name, "link", "set", "lo", "up").ConfigureAwait(false);
        return new LabHost(name, inside, address, server);
    }

    private static async Task<string?> ProbeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        var probe = $"bc{Environment.ProcessId}probe";
        try
        {
            var (code, _, error) = await IpCommand.TryRunAsync("netns", "add", probe).ConfigureAwait(false);
            if (code != 0)
            {
                return $"ip netns add failed: {error.Trim()}";
            }

            await IpCommand.TryRunAsync("netns", "delete", probe).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or TimeoutException)
        {
            return $"iproute2's ip cannot be run: {ex.Message}";
        }
    }

    private static async Task DeleteAbandonedAsync()
    {
        var (code, output, _) = await IpCommand.TryRunAsync("netns", "list").ConfigureAwait(false);
        if (code != 0)
        {
            return;
        }

        foreach (Match match in LabNamespace().Matches(output))
        {
            var pid = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (pid != Environment.ProcessId && !IsRunning(pid))
            {
                await IpCommand.TryRunAsync("netns", "delete", match.Value).ConfigureAwait(false);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"\bbc(\d+)h\d+\b")]
    private static partial Regex LabNamespace();
}
