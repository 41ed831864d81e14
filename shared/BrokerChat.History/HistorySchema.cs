namespace BrokerChat.History;

/// <summary>
/// The store's schema as a list of migrations: migration <c>n</c> takes a database from version <c>n</c> to
/// <c>n + 1</c>. Migrations are only ever appended; the table <c>brokerchat_history_schema</c> records which ran.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>brokerchat_history_messages</term><description>one row per message: <c>seq</c> grows with every row
/// (the page cursor and a room's order); unique on (hub, group, epoch, message id), so a redelivered message writes
/// nothing; the indexes (hub, group, seq) and (hub, group, epoch, partition, offset) make a page or a recovery read
/// an index range scan whatever the room's size.</description></item>
/// <item><term>brokerchat_history_partitions</term><description>per outbound partition: its epoch, the first offset
/// read in it, and the offset below which every message is written (updated in each batch's transaction).</description></item>
/// <item><term>brokerchat_history_rooms</term><description>per room: its message count (for count retention) and how
/// far retention deleted (for recovery's coverage).</description></item>
/// </list>
/// </remarks>
internal static class HistorySchema
{
    public static IReadOnlyList<string[]> Migrations(HistoryDialect dialect) =>
    [
        [
            $"""
            CREATE TABLE brokerchat_history_messages (
                seq {dialect.SequenceColumn},
                hub text NOT NULL,
                grp text NOT NULL,
                epoch integer NOT NULL,
                message_id text NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                from_user_id text NULL,
                data_type integer NOT NULL,
                payload {dialect.BytesType} NULL,
                created_at bigint NOT NULL,
                edited_at bigint NULL,
                deleted_at bigint NULL,
                excluded_ids text NULL,
                recipient_filter text NULL)
            """,
            "CREATE UNIQUE INDEX brokerchat_history_messages_id ON brokerchat_history_messages (hub, grp, epoch, message_id)",
            "CREATE INDEX brokerchat_history_messages_room ON brokerchat_history_messages (hub, grp, seq)",
            "CREATE INDEX brokerchat_history_messages_position ON brokerchat_history_messages (hub, grp, epoch, kafka_partition, kafka_offset)",
            "CREATE INDEX brokerchat_history_messages_user ON brokerchat_history_messages (hub, from_user_id)",
            "CREATE INDEX brokerchat_history_messages_age ON brokerchat_history_messages (hub, created_at)",
            """
            CREATE TABLE brokerchat_history_partitions (
                kafka_partition integer NOT NULL PRIMARY KEY,
                epoch integer NOT NULL,
                first_offset bigint NOT NULL,
                next_offset bigint NOT NULL)
            """,
            """
            CREATE TABLE brokerchat_history_rooms (
                hub text NOT NULL,
                grp text NOT NULL,
                message_count bigint NOT NULL,
                trimmed_epoch integer NOT NULL,
                trimmed_below bigint NOT NULL,
                PRIMARY KEY (hub, grp))
            """,
        ],
    ];
}
