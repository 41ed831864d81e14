using System.Diagnostics;

namespace BrokerChat.LoadTool.Bench;

/// <summary>Installs Debian's redis-server for the SignalR peer when it is missing and the run may (root with apt-get).</summary>
internal static class RedisInstaller
{
    /// <summary>Installs redis-server; returns its version, or null (with a note saying why) when it cannot.</summary>
    public static string? TryInstall(List<string> notes)
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
        {
            notes.Add("SignalR+Redis not measured: redis-server is missing and cannot be installed here (needs root and apt-get; `apt-get install redis-server`).");
            return null;
        }

        Console.WriteLine("Installing redis-server (apt-get) for the SignalR+Redis peer...");
        foreach (var args in new[] { "install -y -qq --no-install-recommends redis-server", "update -qq", "install -y -qq --no-install-recommends redis-server" })
        {
            using var process = Process.Start(new ProcessStartInfo("apt-get", args) { UseShellExecute = false, Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" } })!;
            process.WaitForExit();
            if (SystemUnderTest.RedisVersion() is { } version)
            {
                return version;
            }
        }

        notes.Add("SignalR+Redis not measured: `apt-get install redis-server` failed.");
        return null;
    }
}
