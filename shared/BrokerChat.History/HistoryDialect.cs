using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace BrokerChat.History;

/// <summary>
/// What differs between the two databases: how a connection is made and set up, the column types of the schema, and
/// how migrations keep out of each other's way. Every query is written once, in the SQL both understand
/// (<c>ON CONFLICT</c>, <c>RETURNING</c>, row values).
/// </summary>
internal abstract class HistoryDialect
{
    /// <summary>The dialect of <paramref name="provider"/>.</summary>
    public static HistoryDialect For(HistoryProvider provider) => provider switch
    {
        HistoryProvider.Postgres => new PostgresDialect(),
        _ => new SqliteDialect(),
    };

    /// <summary>The column type of the store's own sequence number, as the primary key that grows with every row.</summary>
    public abstract string SequenceColumn { get; }

    /// <summary>The column type of payload bytes.</summary>
    public abstract string BytesType { get; }

    /// <summary>
    /// The most rows one multi-row insert of messages carries (12 parameters a row): a batch goes in as few statements
    /// as the database's limit on bound parameters allows.
    /// </summary>
    public abstract int RowsPerInsert { get; }

    /// <summary>
    /// Whether the database takes one writer at a time and answers synchronously, so the store runs its writes one
    /// after the other on a thread of their own (<see cref="HistoryWriteThread"/>) rather than on pool threads.
    /// </summary>
    public virtual bool SerializesWrites => false;

    /// <summary>A pool of connections to the database.</summary>
    public abstract DbDataSource CreateDataSource(string connectionString);

    /// <summary>Settings a new connection needs before its first command.</summary>
    public virtual ValueTask PrepareAsync(DbConnection connection, int timeoutSeconds, CancellationToken token) => ValueTask.CompletedTask;

    /// <summary>Begins the migration transaction, holding out every other migrating process until it ends.</summary>
    public abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken token);

    private sealed class PostgresDialect : HistoryDialect
    {
        public override string SequenceColumn => "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

        public override string BytesType => "bytea";

        // The wire protocol counts a statement's parameters in 16 bits (at most 65,535): 1,000 rows bind 12,000, so a
        // default batch of 500 is one round trip.
        public override int RowsPerInsert => 1000;

        public override DbDataSource CreateDataSource(string connectionString) => NpgsqlDataSource.Create(connectionString);

        public override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken token)
        {
            var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // A transaction-scoped advisory lock: released when the migration commits or rolls back.
            command.CommandText = "SELECT pg_advisory_xact_lock(7451300018)";
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return transaction;
        }
    }

    private sealed class SqliteDialect : HistoryDialect
    {
        public override string SequenceColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";

        public override string BytesType => "BLOB";

        // Each write would otherwise block a pool thread in SQLite's busy wait for the one write lock (a partition's
        // batch each), starving the rest of the process; queued on one thread they cost no waiting at all.
        public override bool SerializesWrites => true;

        // SQLite runs in process, so a statement costs no round trip, only its preparation and steps; binding by name
        // looks each parameter up among the statement's, so binding grows with the square of the parameters. 50 rows
        // (600 parameters, below even the 999 of SQLite builds before 3.32) measured as fast as one row a statement or
        // faster; 200 rows were clearly slower.
        public override int RowsPerInsert => 50;

        public override DbDataSource CreateDataSource(string connectionString)
        {
            var builder = new SqliteConnectionStringBuilder(connectionString);
            if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { Length: > 0 } folder && builder.Mode != SqliteOpenMode.Memory)
            {
                Directory.CreateDirectory(folder);
            }

            return SqliteFactory.Instance.CreateDataSource(builder.ToString());
        }

        public override async ValueTask PrepareAsync(DbConnection connection, int timeoutSeconds, CancellationToken token)
        {
            await using var command = connection.CreateCommand();
            // WAL lets the connectors read while the history function writes; NORMAL syncs at checkpoints only, which
            // in WAL mode keeps the database consistent through a crash. A locked database is waited for as long as a
            // command may take.
            command.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={timeoutSeconds * 1000};";
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        // Microsoft.Data.Sqlite begins a transaction that is not deferred with BEGIN IMMEDIATE: it takes the write lock at
        // once, so two migrations run one after the other.
        public override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken token) =>
            await connection.BeginTransactionAsync(token).ConfigureAwait(false);
    }
}
