using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// A request handler that fails on demand, in front of the chat function: requests whose text starts with
/// <c>flaky:N</c> fail their first N tries, <c>broken</c> always fails, and every request to a room listed in
/// <see cref="FailingRooms"/> fails while it is listed.
/// </summary>
public sealed class ScriptedFailures(ChatFunction function) : IRequestHandler
{
    private readonly ChatFunctionHandler _inner = new(function);
    private readonly ConcurrentDictionary<InboundPosition, int> _tries = new();

    public ConcurrentDictionary<string, bool> FailingRooms { get; } = new();

    public int FailedTries => _failed;

    private int _failed;

    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken)
    {
        var tries = _tries.AddOrUpdate(position, 1, (_, n) => n + 1);
        var text = frame.DataType == DataType.Binary ? "" : Encoding.UTF8.GetString(frame.Payload).Trim('"');
        var fail = (frame.Group is { } group && FailingRooms.ContainsKey(group))
            || text.StartsWith("broken", StringComparison.Ordinal)
            || (text.StartsWith("flaky:", StringComparison.Ordinal) && tries <= int.Parse(text[6..text.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
        if (fail)
        {
            Interlocked.Increment(ref _failed);
            throw new InvalidOperationException($"Dependency unavailable (try {tries}).");
        }

        return _inner.HandleAsync(frame, position, cancellationToken);
    }
}
