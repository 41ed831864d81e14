using System.Diagnostics;

namespace BrokerChat.Testing.Network;

/// <summary>Runs iproute2's <c>ip</c> (the only tool the network lab needs), with a bound on how long it may take.</summary>
internal static class IpCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/>; throws with its error output when it fails.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var (code, output, error) = await TryRunAsync(arguments).ConfigureAwait(false);
        return code == 0 ? output : throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({code}): {error.Trim()}");
    }

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/> and returns its exit code and output.</summary>
    public static async Task<(int Code, string Output, string Error)> TryRunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ip could not be started.");
        using var timeout = new CancellationTokenSource(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"ip {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds:0} s.");
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
