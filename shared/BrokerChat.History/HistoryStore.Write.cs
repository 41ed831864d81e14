using System.Data.Common;

namespace BrokerChat.History;

// Writing: a batch of one partition's messages in one transaction, each inserted unless its id is there already,
// with the partition's written-up-to mark and the count retention of the rooms it touched; the partitions' epochs;
// the age retention.
public sealed partial class HistoryStore
{
    private const string InsertHead =
        "INSERT INTO brokerchat_history_messages (hub, grp, epoch, message_id, kafka_partition, kafka_offset, from_user_id, data_type, payload, created_at, excluded_ids, recipient_filter) VALUES ";

    private const string InsertTail = " ON CONFLICT (hub, grp, epoch, message_id) DO NOTHING RETURNING hub, grp";

    // The columns InsertHead names, each row's values bound as parameters @p{row * RowParameters + column}.
    private const int RowParameters = 12;

    /// <summary>
    /// Writes <paramref name="records"/> (one partition's, in offset order) and moves the partition's mark to
    /// <paramref name="nextOffset"/> in one transaction; a record whose id the room holds already writes nothing.
    /// Rooms past their hub's count bound lose their oldest messages in the same transaction. Returns the messages
    /// written.
    /// </summary>
    /// <remarks>
    /// The records go in multi-row inserts of up to <see cref="HistoryDialect.RowsPerInsert"/> rows, in offset order,
    /// so the store sequence follows the offsets; what each insert returns are the rows it wrote, counted per room for
    /// retention.
    /// </remarks>
    public Task<int> WriteBatchAsync(int partition, int epoch, long nextOffset, IReadOnlyList<HistoryRecord> records, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(records);
        return RunWriteAsync(t => WriteBatchNowAsync(partition, epoch, nextOffset, records, t), token);
    }

    private async Task<int> WriteBatchNowAsync(int partition, int epoch, long nextOffset, IReadOnlyList<HistoryRecord> records, CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        var written = 0;
        var perRoom = new Dictionary<(string Hub, string Group), int>();
        var chunk = _dialect.RowsPerInsert;
        DbCommand? full = null;
        try
        {
            for (var first = 0; first < records.Count; first += chunk)
            {
                var rows = Math.Min(chunk, records.Count - first);
                DbCommand insert;
                if (rows == chunk)
                {
                    // Full inserts share one command, so a database that prepares statements does it once per batch.
                    insert = full ??= InsertCommand(connection, transaction, chunk);
                }
                else
                {
                    insert = InsertCommand(connection, transaction, rows);
                }

                try
                {
                    Bind(insert.Parameters, records, first, rows);
                    await using var reader = await insert.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        written++;
                        var room = (reader.GetString(0), reader.GetString(1));
                        perRoom[room] = perRoom.GetValueOrDefault(room) + 1;
                    }
                }
                finally
                {
                    if (insert != full)
                    {
                        await insert.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            if (full is not null)
            {
                await full.DisposeAsync().ConfigureAwait(false);
            }
        }

        foreach (var ((hub, group), added) in perRoom)
        {
            await CountAsync(connection, transaction, hub, group, added, epoch, token).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction,
            "UPDATE brokerchat_history_partitions SET next_offset = @next WHERE kafka_partition = @partition AND epoch = @epoch AND next_offset < @next",
            token, ("@next", nextOffset), ("@partition", partition), ("@epoch", epoch)).ConfigureAwait(false);
        await transaction.CommitAsync(token).ConfigureAwait(false);
        return written;
    }

    /// <summary>An insert of <paramref name="rows"/> messages, its parameters made and unbound.</summary>
    private DbCommand InsertCommand(DbConnection connection, DbTransaction transaction, int rows)
    {
        var sql = new System.Text.StringBuilder(InsertHead, InsertHead.Length + InsertTail.Length + rows * RowParameters * 8);
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ",(");
            for (var column = 0; column < RowParameters; column++)
            {
                sql.Append(column == 0 ? "@p" : ",@p").Append(row * RowParameters + column);
            }

            sql.Append(')');
        }

        var command = Command(connection, transaction, sql.Append(InsertTail).ToString());
        for (var i = 0; i < rows * RowParameters; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Binds records <paramref name="first"/> to <paramref name="first"/> + <paramref name="rows"/> to an insert's parameters, in the order of <see cref="InsertHead"/>.</summary>
    private static void Bind(DbParameterCollection p, IReadOnlyList<HistoryRecord> records, int first, int rows)
    {
        for (var row = 0; row < rows; row++)
        {
            var record = records[first + row];
            var at = row * RowParameters;
            p[at].Value = record.Hub;
            p[at + 1].Value = record.Group;
            p[at + 2].Value = record.Epoch;
            p[at + 3].Value = record.MessageId;
            p[at + 4].Value = record.Partition;
            p[at + 5].Value = record.Offset;
            p[at + 6].Value = (object?)record.FromUserId ?? DBNull.Value;
            p[at + 7].Value = (int)record.DataType;
            p[at + 8].Value = record.Payload;
            p[at + 9].Value = record.CreatedAt;
            p[at + 10].Value = record.Excluded is { Length: > 0 } excluded ? string.Join('\n', excluded) : DBNull.Value;
            p[at + 11].Value = (object?)record.Filter ?? DBNull.Value;
        }
    }

    /// <summary>
    /// The mark of a partition the history function is about to read, whose topic now ends at
    /// <paramref name="highWatermark"/> and starts at <paramref name="lowWatermark"/>: a partition new to the store
    /// starts epoch 0 at the low watermark; one whose topic ends below what the store already holds was started afresh
    /// (a local run's embedded Kafka after a restart) and begins the next epoch, so that its reused offsets and
    /// message ids are told apart from the old ones.
    /// </summary>
    public Task<PartitionMark> StartPartitionAsync(int partition, long lowWatermark, long highWatermark, CancellationToken token) =>
        RunWriteAsync(t => StartPartitionNowAsync(partition, lowWatermark, highWatermark, t), token);

    private async Task<PartitionMark> StartPartitionNowAsync(int partition, long lowWatermark, long highWatermark, CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        var mark = await MarkAsync(connection, transaction, partition, token).ConfigureAwait(false);
        if (mark is null || highWatermark < mark.NextOffset)
        {
            mark = new PartitionMark(partition, mark is null ? 0 : mark.Epoch + 1, lowWatermark, lowWatermark);
            await ExecuteAsync(connection, transaction,
                "INSERT INTO brokerchat_history_partitions (kafka_partition, epoch, first_offset, next_offset) VALUES (@partition, @epoch, @first, @first) " +
                "ON CONFLICT (kafka_partition) DO UPDATE SET epoch = excluded.epoch, first_offset = excluded.first_offset, next_offset = excluded.next_offset",
                token, ("@partition", partition), ("@epoch", mark.Epoch), ("@first", lowWatermark)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(token).ConfigureAwait(false);
        return mark;
    }

    /// <summary>Deletes the messages older than their hub's <see cref="HistoryOptions.MaxAgeFor"/>; returns how many went.</summary>
    public Task<int> TrimByAgeAsync(long nowUnixMs, CancellationToken token) => RunWriteAsync(t => TrimByAgeNowAsync(nowUnixMs, t), token);

    private async Task<int> TrimByAgeNowAsync(long nowUnixMs, CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        var hubs = new List<string>();
        await using (var command = Command(connection, null, "SELECT DISTINCT hub FROM brokerchat_history_rooms"))
        await using (var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                hubs.Add(reader.GetString(0));
            }
        }

        var deleted = 0;
        foreach (var hub in hubs)
        {
            var cutoff = nowUnixMs - (long)Options.MaxAgeFor(hub).TotalMilliseconds;
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            var gone = await DeleteReturningAsync(connection, transaction,
                "DELETE FROM brokerchat_history_messages WHERE hub = @hub AND created_at < @cutoff RETURNING grp, epoch, kafka_offset",
                token, ("@hub", hub), ("@cutoff", cutoff)).ConfigureAwait(false);
            foreach (var (group, rows) in gone.GroupBy(g => g.Group).Select(g => (g.Key, g.ToList())))
            {
                await TrimmedAsync(connection, transaction, hub, group, rows, token).ConfigureAwait(false);
            }

            await transaction.CommitAsync(token).ConfigureAwait(false);
            deleted += gone.Count;
        }

        return deleted;
    }

    /// <summary>Adds to a room's count and, past its bound by a tenth (at least one), deletes its oldest messages down to the bound.</summary>
    private async Task CountAsync(DbConnection connection, DbTransaction transaction, string hub, string group, int added, int epoch, CancellationToken token)
    {
        var count = await ScalarAsync<long>(connection, transaction,
            "INSERT INTO brokerchat_history_rooms (hub, grp, message_count, trimmed_epoch, trimmed_below) VALUES (@hub, @grp, @added, @epoch, -1) " +
            "ON CONFLICT (hub, grp) DO UPDATE SET message_count = brokerchat_history_rooms.message_count + excluded.message_count RETURNING message_count",
            token, ("@hub", hub), ("@grp", group), ("@added", (long)added), ("@epoch", epoch)).ConfigureAwait(false);
        long max = Options.MaxMessagesFor(hub);
        if (count < max + Math.Max(1, max / 10))
        {
            return;
        }

        var gone = await DeleteReturningAsync(connection, transaction,
            "DELETE FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp AND seq <= " +
            "(SELECT seq FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp ORDER BY seq LIMIT 1 OFFSET @skip) RETURNING grp, epoch, kafka_offset",
            token, ("@hub", hub), ("@grp", group), ("@skip", count - max - 1)).ConfigureAwait(false);
        await TrimmedAsync(connection, transaction, hub, group, gone, token).ConfigureAwait(false);
    }

    /// <summary>Records that retention deleted <paramref name="rows"/> of a room: its count, and how far its recovery range is gone.</summary>
    private async Task TrimmedAsync(DbConnection connection, DbTransaction transaction, string hub, string group, List<(string Group, int Epoch, long Offset)> rows, CancellationToken token)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var epoch = rows.Max(r => r.Epoch);
        var below = rows.Where(r => r.Epoch == epoch).Max(r => r.Offset) + 1;
        await ExecuteAsync(connection, transaction,
            "UPDATE brokerchat_history_rooms SET message_count = message_count - @gone, " +
            "trimmed_below = CASE WHEN trimmed_epoch < @epoch OR trimmed_below < @below THEN @below ELSE trimmed_below END, " +
            "trimmed_epoch = CASE WHEN trimmed_epoch < @epoch THEN @epoch ELSE trimmed_epoch END WHERE hub = @hub AND grp = @grp",
            token, ("@gone", (long)rows.Count), ("@epoch", epoch), ("@below", below), ("@hub", hub), ("@grp", group)).ConfigureAwait(false);
    }

    private async Task<List<(string Group, int Epoch, long Offset)>> DeleteReturningAsync(
        DbConnection connection, DbTransaction transaction, string sql, CancellationToken token, params (string Name, object? Value)[] parameters)
    {
        var rows = new List<(string, int, long)>();
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private async Task<PartitionMark?> MarkAsync(DbConnection connection, DbTransaction? transaction, int partition, CancellationToken token)
    {
        await using var command = Command(connection, transaction,
            "SELECT epoch, first_offset, next_offset FROM brokerchat_history_partitions WHERE kafka_partition = @partition", ("@partition", partition));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false)
            ? new PartitionMark(partition, reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2))
            : null;
    }
}
