using BrokerChat.History;
using Npgsql;

namespace BrokerChat.Testing;

/// <summary>
/// Fresh history databases for tests: an SQLite file in a folder of the test's, or a database of its own on the
/// PostgreSQL server <see cref="PostgresVariable"/> names (<c>tests/postgres.sh</c> starts one; <c>.ci/run</c> does).
/// </summary>
public static class TestDatabases
{
    /// <summary>The environment variable with the Npgsql connection string of a PostgreSQL server the tests may create databases on.</summary>
    public const string PostgresVariable = "BROKERCHAT_TEST_POSTGRES";

    /// <summary>
    /// Why the PostgreSQL tests cannot run here (a reason to skip), or null when they can. Under <c>CI=true</c> a
    /// missing server is a failure, not a skip: this throws.
    /// </summary>
    public static string? PostgresMissing()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable)))
        {
            return null;
        }

        const string reason = $"{PostgresVariable} is not set; start a server with `tests/postgres.sh start DIR` and export what it prints.";
        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? throw new InvalidOperationException($"CI=true: {reason}")
            : reason;
    }

    /// <summary>History settings (on for every hub) for a new, empty database of <paramref name="provider"/>.</summary>
    public static async Task<HistoryOptions> CreateAsync(HistoryProvider provider, string folder, CancellationToken token)
    {
        var name = "bc_" + Guid.NewGuid().ToString("N")[..16];
        string connectionString;
        if (provider == HistoryProvider.Sqlite)
        {
            Directory.CreateDirectory(folder);
            connectionString = $"Data Source={Path.Combine(folder, name + ".db")}";
        }
        else
        {
            var server = Environment.GetEnvironmentVariable(PostgresVariable)
                ?? throw new InvalidOperationException($"{PostgresVariable} is not set.");
            await using (var admin = new NpgsqlConnection(server))
            {
                await admin.OpenAsync(token).ConfigureAwait(false);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
                await create.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        }

        return new HistoryOptions { Enabled = true, Provider = provider, ConnectionString = connectionString };
    }
}
