using System.Data.Common;

namespace BrokerChat.History;

/// <summary>
/// The durable history of rooms in a database (PostgreSQL or SQLite): written by the history function in batches,
/// idempotent on the message id, and read by any connector for pages, history on join and session recovery. One
/// store object per process holds a pool of connections; every member is thread-safe. On SQLite, which takes one
/// writer at a time, the writes run one after the other on a thread of the store's own (<see cref="HistoryWriteThread"/>).
/// </summary>
/// <remarks>
/// <para>The schema (<see cref="HistorySchema"/>) is created and migrated by <see cref="MigrateAsync"/>, which every
/// process using the store runs at startup; migrations of concurrent processes run one after the other.</para>
/// <para>The store is split by concern: this file opens connections and migrates; <c>HistoryStore.Write.cs</c> writes
/// batches and applies retention; <c>HistoryStore.Read.cs</c> reads pages and recovery ranges;
/// <c>HistoryStore.Change.cs</c> edits and deletes.</para>
/// </remarks>
public sealed partial class HistoryStore : IAsyncDisposable
{
    private const string Columns = "seq, hub, grp, message_id, kafka_partition, kafka_offset, from_user_id, data_type, payload, created_at, edited_at, deleted_at, excluded_ids, recipient_filter";
    private readonly HistoryDialect _dialect;
    private readonly Lazy<DbDataSource> _dataSource;
    private readonly int _commandTimeout;
    private readonly Lazy<HistoryWriteThread> _writeThread = new(() => new HistoryWriteThread("brokerchat-history-write"));

    /// <summary>Creates the store <paramref name="options"/> describe; nothing is opened until it is used.</summary>
    public HistoryStore(HistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _dialect = HistoryDialect.For(options.Provider);
        // Made on first use: a process with history off (and no connection string) never opens anything.
        _dataSource = new Lazy<DbDataSource>(() => _dialect.CreateDataSource(options.ConnectionString));
        _commandTimeout = Math.Max(1, (int)Math.Ceiling(options.CommandTimeout.TotalSeconds));
    }

    /// <summary>The settings the store was made with.</summary>
    public HistoryOptions Options { get; }

    /// <summary>Creates the tables and indexes, or brings an older schema up to date.</summary>
    public Task MigrateAsync(CancellationToken token) => RunWriteAsync(async t =>
    {
        await MigrateNowAsync(t).ConfigureAwait(false);
        return true;
    }, token);

    private async Task MigrateNowAsync(CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await _dialect.BeginMigrationAsync(connection, token).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS brokerchat_history_schema (version integer NOT NULL)", token).ConfigureAwait(false);
        var current = await ScalarAsync<long?>(connection, transaction, "SELECT MAX(version) FROM brokerchat_history_schema", token).ConfigureAwait(false) ?? 0;
        var migrations = HistorySchema.Migrations(_dialect);
        for (var version = (int)current; version < migrations.Count; version++)
        {
            foreach (var statement in migrations[version])
            {
                await ExecuteAsync(connection, transaction, statement, token).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, $"INSERT INTO brokerchat_history_schema (version) VALUES ({version + 1})", token).ConfigureAwait(false);
        }

        await transaction.CommitAsync(token).ConfigureAwait(false);
    }

    /// <summary>The schema version the database holds (0 before the first migration).</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        try
        {
            return (int)(await ScalarAsync<long?>(connection, null, "SELECT MAX(version) FROM brokerchat_history_schema", token).ConfigureAwait(false) ?? 0);
        }
        catch (DbException)
        {
            return 0;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_writeThread.IsValueCreated)
        {
            _writeThread.Value.Dispose();
        }

        return _dataSource.IsValueCreated ? _dataSource.Value.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <summary>Runs a write: on the write thread where the database takes one writer at a time, else here.</summary>
    private Task<T> RunWriteAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken token) =>
        _dialect.SerializesWrites ? _writeThread.Value.RunAsync(write, token) : write(token);

    private async Task<DbConnection> OpenAsync(CancellationToken token)
    {
        var connection = await _dataSource.Value.OpenConnectionAsync(token).ConfigureAwait(false);
        try
        {
            await _dialect.PrepareAsync(connection, _commandTimeout, token).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = _commandTimeout;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken token, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private async Task<T?> ScalarAsync<T>(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken token, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(token).ConfigureAwait(false);
        if (value is null or DBNull)
        {
            return default;
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }
}
