using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Inbound;

/// <summary>
/// The bound on requests handed to Kafka whose delivery the brokers have not confirmed
/// (<see cref="ConnectorOptions.MaxPendingProduces"/>). When Kafka is slow or unreachable the bound fills, the
/// connections that want to produce wait here instead of reading more from their sockets, and TCP pushes back on
/// the clients; a connection that waits longer than <see cref="ConnectorOptions.InboundBackpressureTimeout"/> has
/// its request refused with an ack error.
/// </summary>
internal sealed class InboundCapacity(IOptions<ConnectorOptions> options, TimeProvider timeProvider) : IDisposable
{
    private readonly int _limit = options.Value.MaxPendingProduces;
    private readonly TimeSpan _timeout = options.Value.InboundBackpressureTimeout;
    private readonly SemaphoreSlim _slots = new(options.Value.MaxPendingProduces, options.Value.MaxPendingProduces);

    /// <summary>Requests handed to Kafka and not yet confirmed.</summary>
    public int Pending => _limit - _slots.CurrentCount;

    /// <summary>Takes a slot, waiting up to the backpressure timeout; false when none became free in time.</summary>
    public ValueTask<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (TryAcquire())
        {
            return ValueTask.FromResult(true);
        }

        return new ValueTask<bool>(WaitAsync(cancellationToken));
    }

    /// <summary>Takes a slot if one is free now, without waiting.</summary>
    public bool TryAcquire() => _slots.Wait(0, CancellationToken.None);

    /// <summary>Gives a slot back once Kafka confirmed or refused the request.</summary>
    public void Release() => _slots.Release();

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
