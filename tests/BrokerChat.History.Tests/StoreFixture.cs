using BrokerChat.Contracts.Messages;
using BrokerChat.Testing;
using System.Text;

namespace BrokerChat.History.Tests;

/// <summary>Makes stores on fresh databases of either provider, and the records tests write to them.</summary>
internal static class Stores
{
    public static readonly string Folder = Path.Combine(Path.GetTempPath(), "brokerchat-history-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A migrated store on a new database; skips the test when <paramref name="provider"/> is PostgreSQL and none is configured.</summary>
    public static async Task<HistoryStore> CreateAsync(HistoryProvider provider, Action<HistoryOptions>? configure = null)
    {
        if (provider == HistoryProvider.Postgres && TestDatabases.PostgresMissing() is { } reason)
        {
            Assert.Skip(reason);
        }

        var options = await TestDatabases.CreateAsync(provider, Folder, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        configure?.Invoke(options);
        var store = new HistoryStore(options);
        await store.MigrateAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return store;
    }

    public static HistoryRecord Record(string group, long offset, string text, string? user = "alice", int partition = 0, int epoch = 0, string? id = null, long at = 1_700_000_000_000) =>
        new("hub", group, id ?? $"0-{offset}", epoch, partition, offset, user, DataType.Text, Encoding.UTF8.GetBytes(text), at + offset, null, null);

    public static IReadOnlyList<HistoryRecord> Records(string group, int from, int count, int partition = 0) =>
        Enumerable.Range(from, count).Select(i => Record(group, i, $"m{i}", partition: partition)).ToArray();

    public static string Text(StoredMessage message) => message.Payload is null ? "<deleted>" : Encoding.UTF8.GetString(message.Payload);
}
