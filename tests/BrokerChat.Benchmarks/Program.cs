using BenchmarkDotNet.Running;

namespace BrokerChat.Benchmarks;

/// <summary>
/// Micro-benchmarks: client frame parsing and encoding (JSON and MessagePack), encoding a fan-out once versus per
/// recipient, and the Kafka contracts. Run all of them with
/// <c>dotnet run -c Release --project tests/BrokerChat.Benchmarks -- --filter '*'</c>, or a quick pass with
/// <c>--job short</c>. <c>-- history sqlite|postgres</c> measures the history store instead.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task Main(string[] args)
    {
        if (args is ["history", ..])
        {
            // The history store's throughput and page latency (HistoryStoreBenchmark): a command of its own.
            await HistoryStoreBenchmark.RunAsync(args);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
