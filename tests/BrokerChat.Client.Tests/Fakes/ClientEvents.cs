using System.Threading.Channels;

namespace BrokerChat.Client.Tests.Fakes;

/// <summary>Records a client's lifecycle events in order, each kind in its own queue.</summary>
public sealed class ClientEvents
{
    private readonly Channel<BrokerChatConnectedEventArgs> _connected = Channel.CreateUnbounded<BrokerChatConnectedEventArgs>();
    private readonly Channel<BrokerChatDisconnectedEventArgs> _disconnected = Channel.CreateUnbounded<BrokerChatDisconnectedEventArgs>();
    private readonly Channel<BrokerChatStoppedEventArgs> _stopped = Channel.CreateUnbounded<BrokerChatStoppedEventArgs>();

    public ClientEvents(BrokerChatClient client)
    {
        client.Connected += e => Record(_connected, e);
        client.Disconnected += e => Record(_disconnected, e);
        client.Stopped += e => Record(_stopped, e);
    }

    private int _connectedCount;
    private int _disconnectedCount;

    public int ConnectedCount => Volatile.Read(ref _connectedCount);

    public int DisconnectedCount => Volatile.Read(ref _disconnectedCount);

    public Task<BrokerChatConnectedEventArgs> NextConnectedAsync() => _connected.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within();

    public Task<BrokerChatDisconnectedEventArgs> NextDisconnectedAsync() => _disconnected.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within();

    public Task<BrokerChatStoppedEventArgs> NextStoppedAsync() => _stopped.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within();

    private Task Record<T>(Channel<T> channel, T args)
    {
        if (args is BrokerChatConnectedEventArgs)
        {
            Interlocked.Increment(ref _connectedCount);
        }
        else if (args is BrokerChatDisconnectedEventArgs)
        {
            Interlocked.Increment(ref _disconnectedCount);
        }

        channel.Writer.TryWrite(args);
        return Task.CompletedTask;
    }
}
