using System.Diagnostics;
using System.Globalization;
using BrokerChat.Contracts.Messages;
using BrokerChat.History;

namespace BrokerChat.Benchmarks;

/// <summary>
/// The history store's figures, as a command rather than a BenchmarkDotNet class (filling a million-message room
/// takes longer than BenchmarkDotNet's iterations should):
/// <c>dotnet run -c Release --project tests/BrokerChat.Benchmarks -- history sqlite|postgres [messages] [connection string]</c>.
/// It writes <c>messages</c> (default 1,000,000) 200-byte messages into one room in the history function's batches of
/// 500 (one writer, one transaction per batch) and prints messages persisted per second, then times 2,000 reads of a
/// 50-message page before a random cursor and prints p50 and p99. For PostgreSQL the connection string defaults to
/// <c>BROKERCHAT_TEST_POSTGRES</c>; SQLite writes to a temporary file.
/// </summary>
internal static class HistoryStoreBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var provider = args.Length > 1 && args[1].Equals("postgres", StringComparison.OrdinalIgnoreCase) ? HistoryProvider.Postgres : HistoryProvider.Sqlite;
        var total = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000;
        var connection = args.Length > 3 ? args[3] : provider == HistoryProvider.Postgres
            ? Environment.GetEnvironmentVariable("BROKERCHAT_TEST_POSTGRES") ?? throw new InvalidOperationException("Give a PostgreSQL connection string or set BROKERCHAT_TEST_POSTGRES.")
            : $"Data Source={Path.Combine(Path.GetTempPath(), $"brokerchat-bench-{Guid.NewGuid():N}.db")}";
        var options = new HistoryOptions { Enabled = true, Provider = provider, ConnectionString = connection, MaxMessagesPerRoom = int.MaxValue };
        await using var store = new HistoryStore(options);
        await store.MigrateAsync(CancellationToken.None);
        var partition = Random.Shared.Next(1_000, 1_000_000); // a partition of its own, so runs on one database do not meet
        await store.StartPartitionAsync(partition, 0, 0, CancellationToken.None);
        var room = $"bench-{Guid.NewGuid():N}";
        var payload = new byte[200];
        Random.Shared.NextBytes(payload);
        const int batchSize = 500;
        var written = Stopwatch.StartNew();
        for (var offset = 0; offset < total; offset += batchSize)
        {
            var batch = Enumerable.Range(offset, Math.Min(batchSize, total - offset))
                .Select(i => new HistoryRecord("bench", room, $"{partition}-{i}", 0, partition, i, "user", DataType.Binary, payload, 1_700_000_000_000 + i, null, null))
                .ToArray();
            await store.WriteBatchAsync(partition, 0, offset + batch.Length, batch, CancellationToken.None);
        }

        written.Stop();
        Console.WriteLine($"{provider}: {total:N0} messages in {written.Elapsed.TotalSeconds:F1} s = {total / written.Elapsed.TotalSeconds:N0} messages persisted per second (batches of {batchSize})");

        var newest = (await store.ReadPageAsync("bench", room, PageDirection.Before, null, 1, CancellationToken.None)).Messages[0].Sequence;
        var first = newest - total + 1;
        var times = new double[2_000];
        for (var i = 0; i < times.Length; i++)
        {
            var cursor = first + 50 + Random.Shared.NextInt64(total - 50);
            var started = Stopwatch.GetTimestamp();
            var page = await store.ReadPageAsync("bench", room, PageDirection.Before, cursor, 50, CancellationToken.None);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (page.Messages.Count != 50)
            {
                throw new InvalidOperationException($"A page held {page.Messages.Count} messages.");
            }
        }

        Array.Sort(times);
        Console.WriteLine($"{provider}: 50-message page in a room of {total:N0}: p50 {times[times.Length / 2]:F2} ms, p99 {times[(int)(times.Length * 0.99)]:F2} ms ({times.Length} reads)");
    }
}
