using BrokerChat.History;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.History;

/// <summary>
/// The connector's reads of the durable history store (the history function writes it; any connector reads it):
/// pages, the latest messages for history on join, and a room's messages from an outbound position on for a resuming
/// session. A store that cannot be read makes the read fail soft (null or empty), logged: the live chat never waits
/// on it for longer than one command's timeout.
/// </summary>
internal sealed class StoredHistory(HistoryStore store, IOptions<HistoryOptions> options, ILogger<StoredHistory> logger)
{
    /// <summary>The history settings.</summary>
    public HistoryOptions Options { get; } = options.Value;

    /// <summary>Whether <paramref name="hub"/>'s rooms are kept in the store.</summary>
    public bool IsEnabled(string hub) => Options.IsEnabled(hub);

    /// <summary>A page of a room, or null when the store could not be read.</summary>
    public async Task<HistoryPage?> PageAsync(string hub, string group, PageDirection direction, long? cursor, int limit, CancellationToken token)
    {
        try
        {
            return await store.ReadPageAsync(hub, group, direction, cursor, limit, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            HistoryLog.StoreReadFailed(logger, "a page", hub, group, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// The room's message <paramref name="messageId"/>, a tombstone included; <see cref="StoredLookup.NotFound"/> when
    /// the room holds none, <see cref="StoredLookup.Unavailable"/> when the store could not be read.
    /// </summary>
    public async Task<(StoredLookup Outcome, StoredMessage? Message)> FindAsync(string hub, string group, string messageId, CancellationToken token)
    {
        try
        {
            var message = await store.FindAsync(hub, group, messageId, token).ConfigureAwait(false);
            return (message is null ? StoredLookup.NotFound : StoredLookup.Found, message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            HistoryLog.StoreReadFailed(logger, "a message", hub, group, ex.Message);
            return (StoredLookup.Unavailable, null);
        }
    }

    /// <summary>The room's latest <paramref name="count"/> stored messages (deleted ones left out), oldest first; empty when there are none or the store could not be read.</summary>
    public async Task<IReadOnlyList<StoredMessage>> LatestAsync(string hub, string group, int count, CancellationToken token)
    {
        if (count <= 0 || !IsEnabled(hub))
        {
            return [];
        }

        var page = await PageAsync(hub, group, PageDirection.Before, null, count, token).ConfigureAwait(false);
        return page?.Messages.Where(m => !m.IsDeleted).ToArray() ?? [];
    }

    /// <summary>The room's messages from an outbound position on, up to <see cref="HistoryOptions.RecoveryMaxMessages"/>; null when the store could not be read or does not cover the position.</summary>
    public async Task<RecoveryRead?> FromAsync(string hub, string group, int partition, long offset, CancellationToken token)
    {
        if (!IsEnabled(hub) || Options.RecoveryMaxMessages <= 0)
        {
            return null;
        }

        try
        {
            var read = await store.ReadFromAsync(hub, group, partition, offset, Options.RecoveryMaxMessages, token).ConfigureAwait(false);
            return read.Covered ? read : null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            HistoryLog.StoreReadFailed(logger, "a recovery", hub, group, ex.Message);
            return null;
        }
    }
}

/// <summary>What a look-up of one stored message found.</summary>
internal enum StoredLookup
{
    /// <summary>The room holds the message.</summary>
    Found,

    /// <summary>The room holds no message by that id.</summary>
    NotFound,

    /// <summary>The store could not be read.</summary>
    Unavailable,
}
