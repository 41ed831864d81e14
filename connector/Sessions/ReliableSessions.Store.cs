using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.History;

namespace BrokerChat.Connector.Sessions;

// Resuming past the memory window: for each of a session's rooms whose gap the connector's memory no longer covers,
// the history store is read (outside the outbound gate, within Connector:RecoveryCatchUpTimeout), and the replay takes
// the store's messages up to where the memory begins, then the memory's.
internal sealed partial class ReliableSessions
{
    /// <summary>Why a session whose missed messages neither the rooms' memory nor the store can give is not resumed.</summary>
    public const string TooOld = "The messages missed since the connection dropped are too old to be recovered.";

    /// <summary>How often a resume looks again at a store the history function has not yet written far enough.</summary>
    private static readonly TimeSpan StorePollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Resumes a session from its token (see <see cref="ResumeFromToken"/>), first reading the history store for the
    /// rooms whose gap the memory no longer covers, when the hub keeps its history there. The store must cover the
    /// session's position, hold at most <see cref="HistoryOptions.RecoveryMaxMessages"/> messages from it, and have
    /// been written up to where the memory begins; a store behind that is read again until it is, or until
    /// <see cref="ConnectorOptions.RecoveryCatchUpTimeout"/> passed, which refuses the resume as too old.
    /// </summary>
    public async Task<string?> ResumeFromTokenAsync(ClientConnection connection, ReconnectionState state)
    {
        if (StoreGaps(connection.Hub, state) is not { Count: > 0 } gaps)
        {
            return ResumeFromToken(connection, state, null);
        }

        using var budget = new CancellationTokenSource(options.Value.RecoveryCatchUpTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(budget.Token, connection.Aborted);
        var reads = new Dictionary<string, RecoveryRead>(StringComparer.Ordinal);
        foreach (var (group, partition, from, memoryFrom) in gaps)
        {
            if (await ReadStoreAsync(connection, group, partition, from, memoryFrom, linked.Token).ConfigureAwait(false) is not { } read)
            {
                return TooOld;
            }

            reads[group] = read;
        }

        return ResumeFromToken(connection, state, reads);
    }

    /// <summary>The session's rooms whose gap the memory does not cover, with where the memory is complete from; null when the store is not to be read.</summary>
    private List<(string Group, int Partition, long From, long MemoryFrom)>? StoreGaps(string hub, ReconnectionState state)
    {
        if (!state.IsPortable || state.Cursor is not { } cursor || state.Groups is not { Length: > 0 } groups || !stored.IsEnabled(hub))
        {
            return null;
        }

        lock (outbound.Gate)
        {
            if (cursor.Length != outbound.PartitionCount)
            {
                return null; // refused as it is without the store
            }

            List<(string, int, long, long)>? gaps = null;
            foreach (var group in groups.Distinct(StringComparer.Ordinal))
            {
                var partition = outbound.PartitionOf(hub, group);
                var memoryFrom = outbound.History.CompleteFrom(hub, group, partition);
                if (cursor[partition] < memoryFrom)
                {
                    (gaps ??= []).Add((group, partition, cursor[partition], memoryFrom));
                }
            }

            return gaps;
        }
    }

    /// <summary>The store's read of a room from <paramref name="from"/>, once it is written up to <paramref name="memoryFrom"/>; null when it does not cover the gap or is not written so far in time.</summary>
    private async Task<RecoveryRead?> ReadStoreAsync(ClientConnection connection, string group, int partition, long from, long memoryFrom, CancellationToken token)
    {
        try
        {
            while (await stored.FromAsync(connection.Hub, group, partition, from, token).ConfigureAwait(false) is { } read)
            {
                if (read.WrittenTo >= memoryFrom)
                {
                    return read;
                }

                await Task.Delay(StorePollInterval, clock, token).ConfigureAwait(false); // the history function is behind this connector
            }

            SessionsLog.StoredRecoveryRefused(logger, connection.Id, connection.Hub, group, "it does not cover the session's position, holds more than History:RecoveryMaxMessages from there, or could not be read");
        }
        catch (OperationCanceledException)
        {
            SessionsLog.StoredRecoveryRefused(logger, connection.Id, connection.Hub, group, "not read, or not written up to this connector's memory, within Connector:RecoveryCatchUpTimeout");
        }

        return null;
    }

    /// <summary>
    /// A room's missed messages from the store's read and the memory, when the two join (the memory may have moved on
    /// since the store was read); null otherwise. The caller holds the outbound gate.
    /// </summary>
    private IReadOnlyList<CatchUpMessage>? JoinStored(ClientConnection connection, string group, int partition, long from, IReadOnlyDictionary<string, RecoveryRead>? reads)
    {
        if (reads is null || !reads.TryGetValue(group, out var read))
        {
            return null;
        }

        var hub = connection.Hub;
        var merged = StoredCatchUp.Merge(read, outbound.History.CompleteFrom(hub, group, partition), outbound.History.From(hub, group, from));
        if (merged is null)
        {
            SessionsLog.StoredRecoveryRefused(logger, connection.Id, hub, group, "this connector's memory moved on past what the store has written");
        }

        return merged;
    }

    /// <summary>A room's missed messages from the memory alone. The caller holds the outbound gate.</summary>
    private IEnumerable<CatchUpMessage> Memory(string hub, string group, long from) =>
        outbound.History.From(hub, group, from).Select(m => new CatchUpMessage(m.Offset, m.Delivery, false));
}
