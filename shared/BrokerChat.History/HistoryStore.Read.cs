using System.Data.Common;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.History;

// Reading: pages of a room in either direction from a cursor, a room's latest messages, and the messages of a room
// from an outbound position on for a resuming session. Each is one index range scan, whatever the room's size.
public sealed partial class HistoryStore
{
    /// <summary>
    /// A page of up to <paramref name="limit"/> messages of a room, oldest first: those just before
    /// <paramref name="cursor"/> (or the latest, without one) going <see cref="PageDirection.Before"/>, those just after
    /// it going <see cref="PageDirection.After"/>. Deleted messages are in the page as tombstones.
    /// </summary>
    public async Task<HistoryPage> ReadPageAsync(string hub, string group, PageDirection direction, long? cursor, int limit, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var before = direction == PageDirection.Before;
        var sql = $"SELECT {Columns} FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp" +
            (cursor is null ? "" : before ? " AND seq < @cursor" : " AND seq > @cursor") +
            (before ? " ORDER BY seq DESC" : " ORDER BY seq") + " LIMIT @limit";
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        var rows = await ReadAsync(connection, sql, token, ("@hub", hub), ("@grp", group), ("@cursor", cursor ?? 0L), ("@limit", limit + 1)).ConfigureAwait(false);
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (before)
        {
            rows.Reverse();
        }

        long? next = more ? (before ? rows[0].Sequence : rows[^1].Sequence) : null;
        return new HistoryPage(rows, next);
    }

    /// <summary>
    /// The messages of a room from <paramref name="offset"/> of <paramref name="partition"/> on, in offset order, up
    /// to <paramref name="max"/>; <see cref="RecoveryRead.Covered"/> says whether they are all the room had from there
    /// up to <see cref="RecoveryRead.WrittenTo"/>.
    /// </summary>
    public async Task<RecoveryRead> ReadFromAsync(string hub, string group, int partition, long offset, int max, CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        if (await MarkAsync(connection, null, partition, token).ConfigureAwait(false) is not { } mark || offset < mark.FirstOffset)
        {
            return new RecoveryRead(false, [], -1);
        }

        await using (var trimmed = Command(connection, null,
            "SELECT trimmed_epoch, trimmed_below FROM brokerchat_history_rooms WHERE hub = @hub AND grp = @grp", ("@hub", hub), ("@grp", group)))
        await using (var reader = await trimmed.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(token).ConfigureAwait(false) && reader.GetInt32(0) == mark.Epoch && reader.GetInt64(1) > offset)
            {
                return new RecoveryRead(false, [], mark.NextOffset);
            }
        }

        var rows = await ReadAsync(connection,
            $"SELECT {Columns} FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp AND epoch = @epoch AND kafka_partition = @partition " +
            "AND kafka_offset >= @offset AND kafka_offset < @next ORDER BY kafka_offset LIMIT @limit",
            token, ("@hub", hub), ("@grp", group), ("@epoch", mark.Epoch), ("@partition", partition), ("@offset", offset),
            ("@next", mark.NextOffset), ("@limit", max + 1)).ConfigureAwait(false);
        return rows.Count > max ? new RecoveryRead(false, [], mark.NextOffset) : new RecoveryRead(true, rows, mark.NextOffset);
    }

    /// <summary>The store's mark of every partition it has read.</summary>
    public async Task<IReadOnlyList<PartitionMark>> ReadMarksAsync(CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT kafka_partition, epoch, first_offset, next_offset FROM brokerchat_history_partitions ORDER BY kafka_partition");
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        var marks = new List<PartitionMark>();
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            marks.Add(new PartitionMark(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return marks;
    }

    private async Task<List<StoredMessage>> ReadAsync(DbConnection connection, string sql, CancellationToken token, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        var rows = new List<StoredMessage>();
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            rows.Add(Row(reader));
        }

        return rows;
    }

    private static StoredMessage Row(DbDataReader r) => new(
        Sequence: r.GetInt64(0),
        Hub: r.GetString(1),
        Group: r.GetString(2),
        MessageId: r.GetString(3),
        Partition: r.GetInt32(4),
        Offset: r.GetInt64(5),
        FromUserId: r.IsDBNull(6) ? null : r.GetString(6),
        DataType: (DataType)r.GetInt32(7),
        Payload: r.IsDBNull(8) ? null : (byte[])r.GetValue(8),
        CreatedAt: r.GetInt64(9),
        EditedAt: r.IsDBNull(10) ? null : r.GetInt64(10),
        DeletedAt: r.IsDBNull(11) ? null : r.GetInt64(11),
        Excluded: r.IsDBNull(12) ? null : r.GetString(12).Split('\n'),
        Filter: r.IsDBNull(13) ? null : r.GetString(13));
}
