using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>What a fault did to numbered chat messages.</summary>
/// <param name="Sent">Messages sent.</param>
/// <param name="SuccessAcked">Messages whose ack was a success.</param>
/// <param name="ErrorAcked">Messages whose ack was an error, by error name (<c>InternalServerError busy</c> when the server was busy).</param>
/// <param name="Unanswered">Messages with no ack yet.</param>
/// <param name="DeliveredTo">Distinct messages each receiver got.</param>
/// <param name="LostAfterSuccess">Success-acked messages a receiver in their room never got (summed over receivers).</param>
/// <param name="Duplicated">Messages a receiver got more than once (each extra copy counts).</param>
/// <param name="Reordered">Messages a receiver got after a later one of the same sender.</param>
/// <param name="DeliveredAfterError">Error-acked messages that some receiver got all the same.</param>
/// <param name="LongestErrorAck">The longest wait for an error ack.</param>
/// <param name="LongestAck">The longest wait for any ack.</param>
public sealed record TallyCounts(
    int Sent,
    int SuccessAcked,
    IReadOnlyDictionary<string, int> ErrorAcked,
    int Unanswered,
    IReadOnlyDictionary<string, int> DeliveredTo,
    int LostAfterSuccess,
    int Duplicated,
    int Reordered,
    int DeliveredAfterError,
    TimeSpan LongestErrorAck,
    TimeSpan LongestAck)
{
    /// <summary>All error acks.</summary>
    public int ErrorAckedTotal => ErrorAcked.Values.Sum();

    /// <summary>The counts as a two-column table, with <paramref name="extra"/> rows (such as the recovery time) at the end.</summary>
    public string Table(params (string Name, string Value)[] extra)
    {
        var rows = new List<(string, string)>
        {
            ("sent", Text(Sent)),
            ("success-acked", Text(SuccessAcked)),
            ("error-acked", $"{Text(ErrorAckedTotal)} ({string.Join(", ", ErrorAcked.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {Text(e.Value)}"))})"),
            ("unanswered", Text(Unanswered)),
            ("longest wait for an error ack", $"{LongestErrorAck.TotalSeconds:0.00} s"),
            ("longest wait for any ack", $"{LongestAck.TotalSeconds:0.00} s"),
        };
        rows.AddRange(DeliveredTo.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => ($"delivered to {d.Key}", Text(d.Value))));
        rows.Add(("error-acked but delivered", Text(DeliveredAfterError)));
        rows.Add(("lost after success", Text(LostAfterSuccess)));
        rows.Add(("duplicated", Text(Duplicated)));
        rows.Add(("reordered", Text(Reordered)));
        rows.AddRange(extra);
        var width = rows.Max(r => r.Item1.Length);
        var table = new StringBuilder();
        foreach (var (name, value) in rows)
        {
            table.Append("| ").Append(name.PadRight(width)).Append(" | ").Append(value).AppendLine(" |");
        }

        return table.ToString();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Numbered chat messages through a fault: each sender sends to one room and numbers its messages 0, 1, 2, ...;
/// the tally records each message's ack and what each receiver got, and counts what the fault did to them
/// (<see cref="Count"/>). Thread-safe: senders and receivers run side by side.
/// </summary>
public sealed class MessageTally
{
    private const string SenderField = "s";
    private const string NumberField = "n";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Message>> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Receiver> _receivers = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="sender"/>'s next numbered message to <paramref name="room"/>; the returned task completes once its ack is recorded.</summary>
    public async Task<Task<AckFrame>> SendAsync(WebPubSubTestClient client, string sender, string room, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        Message message;
        lock (_gate)
        {
            if (!_sent.TryGetValue(sender, out var messages))
            {
                _sent[sender] = messages = [];
            }

            message = new Message(room, messages.Count, Stopwatch.GetTimestamp());
            messages.Add(message);
        }

        var ack = await client.SendWithoutWaitingAsync(new JsonObject
        {
            ["type"] = "sendToGroup",
            ["group"] = room,
            ["dataType"] = "json",
            ["data"] = new JsonObject { [SenderField] = sender, [NumberField] = message.N },
        }, cancellationToken).ConfigureAwait(false);
        return RecordAsync(message, ack);
    }

    /// <summary>Sends <paramref name="count"/> messages at once and waits for their acks.</summary>
    public async Task<AckFrame[]> SendBatchAsync(WebPubSubTestClient client, string sender, string room, int count, CancellationToken cancellationToken)
    {
        var acks = new List<Task<AckFrame>>();
        for (var i = 0; i < count; i++)
        {
            acks.Add(await SendAsync(client, sender, room, cancellationToken).ConfigureAwait(false));
        }

        return await Task.WhenAll(acks).WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="sender"/>'s next message to <paramref name="room"/> every <paramref name="pace"/>, without
    /// waiting for acks (each ack's task goes into <paramref name="acks"/>), until <paramref name="stop"/> is cancelled.
    /// </summary>
    public async Task SendSteadilyAsync(
        WebPubSubTestClient client, string sender, string room, TimeSpan pace, List<Task<AckFrame>> acks, CancellationToken stop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acks);
        using var timer = new PeriodicTimer(pace);
        while (!stop.IsCancellationRequested)
        {
            acks.Add(await SendAsync(client, sender, room, cancellationToken).ConfigureAwait(false));
            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads <paramref name="client"/>'s data messages into the tally as <paramref name="receiver"/>, a member of
    /// <paramref name="rooms"/>, until <paramref name="cancellationToken"/> is cancelled; a reliable receiver
    /// acknowledges what it got every 50 messages.
    /// </summary>
    public async Task ReceiveAsync(WebPubSubTestClient client, string receiver, IReadOnlyCollection<string> rooms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var state = new Receiver([.. rooms]);
        lock (_gate)
        {
            _receivers.Add(receiver, state);
        }

        var count = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            JsonObject frame;
            try
            {
                frame = await client.NextMessageAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                continue; // a quiet spell (the fault, or the end of the traffic)
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (frame["data"] is JsonObject data && (string?)data[SenderField] is { } sender && (int?)data[NumberField] is { } n)
            {
                lock (_gate)
                {
                    state.Got.Add((sender, n));
                }
            }

            if (++count % 50 == 0 && (ulong?)frame["sequenceId"] is { } sequenceId)
            {
                await client.SendRawAsync(new JsonObject { ["type"] = "sequenceAck", ["sequenceId"] = sequenceId }.ToJsonString(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// True once every receiver got the last success-acked message of every sender to its rooms: as a room's messages
    /// keep their order, whatever success-acked message it has not got by then is lost.
    /// </summary>
    public bool ReachedLastSuccess()
    {
        lock (_gate)
        {
            foreach (var (sender, messages) in _sent)
            {
                if (messages.LastOrDefault(m => m.Ack?.Success == true) is not { } last)
                {
                    continue;
                }

                if (_receivers.Values.Any(r => r.Rooms.Contains(last.Room) && !r.Got.Contains((sender, last.N))))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The first success ack recorded at or after <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp), if any.</summary>
    public long? FirstSuccessAckAfter(long timestamp)
    {
        lock (_gate)
        {
            var times = _sent.Values.SelectMany(m => m).Where(m => m.Ack?.Success == true && m.AckedAt >= timestamp).Select(m => m.AckedAt).ToList();
            return times.Count == 0 ? null : times.Min();
        }
    }

    /// <summary>
    /// When the first success ack came for a message sent to one of <paramref name="rooms"/> at or after
    /// <paramref name="timestamp"/> (<see cref="Stopwatch"/> timestamps), if one came.
    /// </summary>
    public long? FirstSuccessOfMessagesSentAfter(long timestamp, IReadOnlyCollection<string> rooms)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        lock (_gate)
        {
            var times = _sent.Values.SelectMany(m => m)
                .Where(m => m.SentAt >= timestamp && rooms.Contains(m.Room) && m.Ack?.Success == true).Select(m => m.AckedAt).ToList();
            return times.Count == 0 ? null : times.Min();
        }
    }

    /// <summary>Acks recorded from <paramref name="from"/> up to <paramref name="to"/> (<see cref="Stopwatch"/> timestamps) that were a success, or an error.</summary>
    public int AcksBetween(bool success, long from, long to)
    {
        lock (_gate)
        {
            return _sent.Values.SelectMany(m => m).Count(m => m.Ack is { } ack && ack.Success == success && m.AckedAt >= from && m.AckedAt < to);
        }
    }

    /// <summary>
    /// Messages sent from <paramref name="from"/> on whose success ack was recorded before <paramref name="to"/>
    /// (<see cref="Stopwatch"/> timestamps): while Kafka cannot be reached, each is a false success.
    /// </summary>
    public int SuccessesOfMessagesSentBetween(long from, long to)
    {
        lock (_gate)
        {
            return _sent.Values.SelectMany(m => m).Count(m => m.SentAt >= from && m.Ack?.Success == true && m.AckedAt < to);
        }
    }

    /// <summary>Counts what happened to every message so far.</summary>
    public TallyCounts Count()
    {
        lock (_gate)
        {
            var all = _sent.SelectMany(s => s.Value.Select(m => (Sender: s.Key, Message: m))).ToList();
            var errors = all.Where(m => m.Message.Ack is { Success: false }).ToList();
            var delivered = new Dictionary<string, int>(StringComparer.Ordinal);
            var lost = 0;
            var duplicated = 0;
            var reordered = 0;
            var gotByAnyone = new HashSet<(string, int)>();
            foreach (var (name, receiver) in _receivers)
            {
                var distinct = receiver.Got.ToHashSet();
                delivered[name] = distinct.Count;
                duplicated += receiver.Got.Count - distinct.Count;
                gotByAnyone.UnionWith(distinct);
                lost += all.Count(m => m.Message.Ack?.Success == true && receiver.Rooms.Contains(m.Message.Room) && !distinct.Contains((m.Sender, m.Message.N)));
                var highest = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var (sender, n) in receiver.Got)
                {
                    if (highest.TryGetValue(sender, out var before) && n < before)
                    {
                        reordered++;
                    }
                    else
                    {
                        highest[sender] = n;
                    }
                }
            }

            return new TallyCounts(
                all.Count,
                all.Count(m => m.Message.Ack?.Success == true),
                errors.GroupBy(m => ErrorKind(m.Message.Ack!), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                all.Count(m => m.Message.Ack is null),
                delivered,
                lost,
                duplicated,
                reordered,
                errors.Count(m => gotByAnyone.Contains((m.Sender, m.Message.N))),
                Longest(errors),
                Longest(all.Where(m => m.Message.Ack is not null)));
        }
    }

    private static TimeSpan Longest(IEnumerable<(string Sender, Message Message)> acked) =>
        acked.Select(m => Stopwatch.GetElapsedTime(m.Message.SentAt, m.Message.AckedAt)).DefaultIfEmpty(TimeSpan.Zero).Max();

    private static string ErrorKind(AckFrame ack) =>
        ack.ErrorMessage?.Contains("busy", StringComparison.Ordinal) == true ? $"{ack.ErrorName} busy" : ack.ErrorName ?? "?";

    private async Task<AckFrame> RecordAsync(Message message, Task<AckFrame> ack)
    {
        var frame = await ack.ConfigureAwait(false);
        lock (_gate)
        {
            message.Ack = frame;
            message.AckedAt = Stopwatch.GetTimestamp();
        }

        return frame;
    }

    private sealed class Message(string room, int n, long sentAt)
    {
        public string Room { get; } = room;

        public int N { get; } = n;

        public long SentAt { get; } = sentAt;

        public AckFrame? Ack { get; set; }

        public long AckedAt { get; set; }
    }

    private sealed class Receiver(HashSet<string> rooms)
    {
        public HashSet<string> Rooms { get; } = rooms;

        public List<(string Sender, int N)> Got { get; } = [];
    }
}
