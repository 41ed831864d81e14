using System.Collections.Concurrent;
using BrokerChat.Client.Protocol;

namespace BrokerChat.Client;

// Reading a group's stored history (BrokerChat): listMessages, answered by a messages system message before its ack.
public sealed partial class BrokerChatClient
{
    // Pages that arrived for a listMessages still waiting for its ack, by ackId; its ack, next, takes the page out.
    private readonly ConcurrentDictionary<ulong, BrokerChatMessagePage> _messagePages = new();

    /// <summary>
    /// Reads a page of a group's stored history (BrokerChat with <c>History:Enabled</c>); needs membership of the group
    /// or the role to join it. Without a cursor the page is the group's latest messages; with <paramref name="before"/>
    /// those just before it, with <paramref name="after"/> those just after it; <see cref="BrokerChatMessagePage.Next"/>
    /// continues in the same direction.
    /// </summary>
    /// <param name="group">The group name.</param>
    /// <param name="limit">The most messages in the page; null for the server's default (<c>History:DefaultPageSize</c>).</param>
    /// <param name="before">A cursor from an earlier page: the page ends just before it.</param>
    /// <param name="after">A cursor from an earlier page: the page starts just after it.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ArgumentException">Both cursors are given, or <paramref name="limit"/> is below 1.</exception>
    /// <exception cref="SendMessageFailedException">
    /// The server refused the request (<c>Forbidden</c>, <c>BadRequest</c> for a malformed cursor or a limit past its
    /// cap, <c>NotFound</c> for a hub without history, <c>InternalServerError</c> when the store cannot be read), or the
    /// connection was lost for good.
    /// </exception>
    public async Task<BrokerChatMessagePage> ListMessagesAsync(
        string group, int? limit = null, string? before = null, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        if (before is not null && after is not null)
        {
            throw new ArgumentException("A page goes either before or after a cursor, not both.", nameof(after));
        }

        if (limit is { } count)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(limit));
        }

        ulong ackId = 0;
        try
        {
            await SendWithAckAsync(id => _codec.ListMessages(group, limit, before, after, ackId = id), null, cancellationToken).ConfigureAwait(false);
            // The page is written before its ack, so it has arrived.
            return _messagePages.TryGetValue(ackId, out var page)
                ? page
                : throw new SendMessageFailedException(ackId, null, "The server acknowledged listMessages without a page of messages.");
        }
        finally
        {
            _messagePages.TryRemove(ackId, out _);
        }
    }

    /// <summary>Keeps a page for the listMessages still waiting for it, so this cannot grow; any other is ignored.</summary>
    private void KeepMessagePage(ServerFrame frame)
    {
        if (frame.AckId is { } ackId && _pending.ContainsKey(ackId))
        {
            _messagePages[ackId] = new BrokerChatMessagePage(frame.StoredMessages!, frame.Next);
        }
    }
}
