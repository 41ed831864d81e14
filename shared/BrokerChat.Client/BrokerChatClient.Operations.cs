using System.Text.Json;
using System.Text.Unicode;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client;

// What an application asks of the server: joining, leaving and listing groups, sending to a group and raising
// events. Each request waits for its ack (SendWithAckAsync) unless it is sent fire-and-forget; the groups joined are
// remembered here so that a fresh connection can join them again.
public sealed partial class BrokerChatClient
{
    /// <summary>Joins a group; on success the group is also joined on every fresh connection (see <see cref="BrokerChatClientOptions.AutoRejoinGroups"/>).</summary>
    /// <param name="group">The group name.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client (1, 2, 3, …).</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public async Task<WebPubSubResult> JoinGroupAsync(string group, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        var result = await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.JoinGroup, group, id), ackId, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _groups.Add(group);
        }

        return result;
    }

    /// <summary>
    /// Joins a group with BrokerChat's options: the group's latest <paramref name="history"/> messages arrive in
    /// <see cref="Messages"/> (marked <see cref="BrokerChatMessage.IsHistory"/>) before this returns, ahead of any live
    /// message of the group, and with <paramref name="presence"/> the client raises <see cref="PresenceChanged"/> when
    /// members join or leave. Rejoins on fresh connections keep <paramref name="presence"/> but ask for no history.
    /// </summary>
    /// <param name="group">The group name.</param>
    /// <param name="history">How many of the group's latest messages to receive (the server caps it; 0 for none).</param>
    /// <param name="presence">Whether to be told when members join or leave.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public async Task<WebPubSubResult> JoinGroupAsync(string group, int history, bool presence, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentOutOfRangeException.ThrowIfNegative(history);
        var result = await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.JoinGroup, group, id, history, presence), ackId, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _groups.Add(group);
            if (presence)
            {
                _presenceGroups.Add(group);
            }
            else
            {
                _presenceGroups.Remove(group);
            }
        }

        return result;
    }

    /// <summary>Lists a group's members on every connector (BrokerChat); needs membership of the group or the role to join it.</summary>
    /// <param name="group">The group name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="SendMessageFailedException">The server refused the request (or does not know it), or the connection was lost for good.</exception>
    public async Task<BrokerChatMemberList> ListMembersAsync(string group, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ulong ackId = 0;
        try
        {
            await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.ListMembers, group, ackId = id), null, cancellationToken).ConfigureAwait(false);
            // The list is written before its ack, so it has arrived.
            return _memberLists.TryGetValue(ackId, out var list)
                ? list
                : throw new SendMessageFailedException(ackId, null, "The server acknowledged listMembers without a member list.");
        }
        finally
        {
            _memberLists.TryRemove(ackId, out _);
        }
    }

    /// <summary>Leaves a group (and stops rejoining it).</summary>
    /// <param name="group">The group name.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> LeaveGroupAsync(string group, ulong? ackId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        lock (_gate)
        {
            _groups.Remove(group);
            _presenceGroups.Remove(group);
        }

        return SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.LeaveGroup, group, id), ackId, cancellationToken);
    }

    /// <summary>Publishes data to a group.</summary>
    /// <param name="group">The group name (the client need not be a member).</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="noEcho">True to leave this connection out of the recipients.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="fireAndForget">True to send without an ackId: the call returns once the frame is written, and it is not resent after a drop.</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> SendToGroupAsync(string group, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, bool noEcho = false, ulong? ackId = null, bool fireAndForget = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ValidateData(data.Span, dataType);
        return fireAndForget
            ? SendWithoutAckAsync(_codec.SendToGroup(group, dataType, data.Span, noEcho, null), cancellationToken)
            : SendWithAckAsync(id => _codec.SendToGroup(group, dataType, data.Span, noEcho, id), ackId, cancellationToken);
    }

    /// <summary>Sends a custom event to the server's event handler.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="ackId">The ackId to use; by default the next one of this client.</param>
    /// <param name="fireAndForget">True to send without an ackId (see <see cref="SendToGroupAsync"/>).</param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect).</param>
    /// <exception cref="SendMessageFailedException">The server refused the request, or the connection was lost for good.</exception>
    public Task<WebPubSubResult> SendEventAsync(string eventName, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, ulong? ackId = null, bool fireAndForget = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ValidateData(data.Span, dataType);
        return fireAndForget
            ? SendWithoutAckAsync(_codec.Event(eventName, dataType, data.Span, null), cancellationToken)
            : SendWithAckAsync(id => _codec.Event(eventName, dataType, data.Span, id), ackId, cancellationToken);
    }

    private static void ValidateData(ReadOnlySpan<byte> data, WebPubSubDataType dataType)
    {
        switch (dataType)
        {
            case WebPubSubDataType.Json:
                try
                {
                    var reader = new Utf8JsonReader(data);
                    while (reader.Read())
                    {
                    }
                }
                catch (JsonException ex)
                {
                    throw new ArgumentException("The data is not valid JSON.", nameof(data), ex);
                }

                if (data.IsEmpty)
                {
                    throw new ArgumentException("JSON data must not be empty.", nameof(data));
                }

                break;
            case WebPubSubDataType.Text:
                if (!Utf8.IsValid(data))
                {
                    throw new ArgumentException("Text data must be valid UTF-8.", nameof(data));
                }

                break;
            case WebPubSubDataType.Binary or WebPubSubDataType.Protobuf:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dataType), dataType, null);
        }
    }
}
