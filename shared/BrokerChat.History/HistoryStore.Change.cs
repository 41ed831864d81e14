using BrokerChat.Contracts.Messages;

namespace BrokerChat.History;

// Changes: a message edited or deleted by id (by its sender, or by the application's backend), and every message of
// a user deleted at once. A deleted message stays as a tombstone: its id, sender and time, without its payload.
public sealed partial class HistoryStore
{
    /// <summary>
    /// Replaces the payload of the room's message <paramref name="messageId"/> (the latest by that id); only its
    /// sender may, when <paramref name="byUserId"/> is given (null: the application's backend, which may edit any).
    /// </summary>
    public Task<HistoryChangeOutcome> EditAsync(
        string hub, string group, string messageId, string? byUserId, DataType dataType, byte[] payload, long atUnixMs, CancellationToken token) =>
        ChangeAsync(hub, group, messageId, byUserId,
            "UPDATE brokerchat_history_messages SET data_type = @type, payload = @payload, edited_at = @at WHERE seq = @seq",
            token, ("@type", (int)dataType), ("@payload", payload), ("@at", atUnixMs));

    /// <summary>Deletes the room's message <paramref name="messageId"/>, leaving a tombstone; only its sender may, as for <see cref="EditAsync"/>.</summary>
    public Task<HistoryChangeOutcome> DeleteAsync(string hub, string group, string messageId, string? byUserId, long atUnixMs, CancellationToken token) =>
        ChangeAsync(hub, group, messageId, byUserId,
            "UPDATE brokerchat_history_messages SET payload = NULL, deleted_at = @at WHERE seq = @seq",
            token, ("@at", atUnixMs));

    /// <summary>
    /// The room's message <paramref name="messageId"/> (the latest by that id, a tombstone included), or null when the
    /// room holds none: what a change is checked against before it is accepted.
    /// </summary>
    public async Task<StoredMessage?> FindAsync(string hub, string group, string messageId, CancellationToken token)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        var rows = await ReadAsync(connection,
            $"SELECT {Columns} FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp AND message_id = @id ORDER BY seq DESC LIMIT 1",
            token, ("@hub", hub), ("@grp", group), ("@id", messageId)).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>Deletes every message <paramref name="userId"/> sent in the hub, leaving tombstones; returns how many.</summary>
    public Task<int> DeleteUserMessagesAsync(string hub, string userId, long atUnixMs, CancellationToken token) => RunWriteAsync(async t =>
    {
        await using var connection = await OpenAsync(t).ConfigureAwait(false);
        return await ExecuteAsync(connection, null,
            "UPDATE brokerchat_history_messages SET payload = NULL, deleted_at = @at WHERE hub = @hub AND from_user_id = @user AND deleted_at IS NULL",
            t, ("@at", atUnixMs), ("@hub", hub), ("@user", userId)).ConfigureAwait(false);
    }, token);

    private Task<HistoryChangeOutcome> ChangeAsync(
        string hub, string group, string messageId, string? byUserId, string update, CancellationToken token, params (string Name, object? Value)[] values) =>
        RunWriteAsync(t => ChangeNowAsync(hub, group, messageId, byUserId, update, t, values), token);

    private async Task<HistoryChangeOutcome> ChangeNowAsync(
        string hub, string group, string messageId, string? byUserId, string update, CancellationToken token, params (string Name, object? Value)[] values)
    {
        await using var connection = await OpenAsync(token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        long seq;
        string? sender;
        await using (var find = Command(connection, transaction,
            "SELECT seq, from_user_id FROM brokerchat_history_messages WHERE hub = @hub AND grp = @grp AND message_id = @id AND deleted_at IS NULL ORDER BY seq DESC LIMIT 1",
            ("@hub", hub), ("@grp", group), ("@id", messageId)))
        await using (var reader = await find.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(token).ConfigureAwait(false))
            {
                return HistoryChangeOutcome.NotFound;
            }

            seq = reader.GetInt64(0);
            sender = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        if (byUserId is not null && !string.Equals(byUserId, sender, StringComparison.Ordinal))
        {
            return HistoryChangeOutcome.Forbidden;
        }

        await ExecuteAsync(connection, transaction, update, token, [.. values, ("@seq", seq)]).ConfigureAwait(false);
        await transaction.CommitAsync(token).ConfigureAwait(false);
        return HistoryChangeOutcome.Applied;
    }
}
