using BrokerChat.Connector.Connections;

namespace BrokerChat.UnitTests.Connector;

public sealed class ClientConnectionTests
{
    [Fact]
    public void QueueOverflowInMessagesClosesTheConnectionAsSlowClient()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 2, maxQueuedBytes: 1024);
        Assert.True(connection.TryEnqueue(new byte[10]));
        Assert.True(connection.TryEnqueue(new byte[10]));

        Assert.False(connection.TryEnqueue(new byte[10]));

        Assert.True(connection.IsClosing);
        Assert.StartsWith("SlowClient", connection.CloseReason, StringComparison.Ordinal);
        Assert.False(connection.TryEnqueue(new byte[1]));
    }

    [Fact]
    public void QueueOverflowInBytesClosesTheConnectionAndKeepsTheCountHonest()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 100, maxQueuedBytes: 100);
        Assert.True(connection.TryEnqueue(new byte[60]));

        Assert.False(connection.TryEnqueue(new byte[60]));

        Assert.Equal(60, connection.QueuedBytes);
        Assert.True(connection.IsClosing);
    }

    [Fact]
    public void PendingAcksExpireAtTheirDeadlineAndOnlyOnce()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024);
        Assert.True(connection.TryAddPendingAck(1, deadlineTimestamp: 100, out _));
        Assert.True(connection.TryAddPendingAck(2, deadlineTimestamp: 200, out _));
        Assert.False(connection.TryAddPendingAck(1, deadlineTimestamp: 300, out var tooMany));
        Assert.False(tooMany);

        Assert.Equal([1UL], connection.ExpireAcks(150));
        Assert.Null(connection.ExpireAcks(150));
        Assert.False(connection.TryCompleteAck(1));
        Assert.True(connection.TryCompleteAck(2));
        Assert.Equal(0, connection.PendingAckCount);
    }
}
