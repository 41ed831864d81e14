using System.Globalization;

namespace BrokerChat.Client;

// Invocations: requests the server answers with data (invokeEvent of the JavaScript client), matched by an
// invocationId ("1", "2", … per client) and waiting in _invocations. Unlike requests with an ackId they are never
// sent again: the server answers on the socket the invocation arrived on, so losing that socket fails them, even when
// a reliable protocol resumes the connection (as the JavaScript client does). An invocation not yet written when a
// socket drops waits for the next one.
public sealed partial class BrokerChatClient
{
    /// <summary>
    /// Invokes the server's handler of a user event and returns its answer; gives up after
    /// <see cref="BrokerChatClientOptions.InvokeTimeout"/>.
    /// </summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="cancellationToken">Stops waiting and sends <c>cancelInvocation</c>; the handler may still run.</param>
    /// <exception cref="BrokerChatInvocationException">The server answered with an error, or the connection was lost or the client stopped before the answer.</exception>
    /// <exception cref="TimeoutException">No answer arrived in time (<c>cancelInvocation</c> was sent).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (<c>cancelInvocation</c> was sent if the invocation was).</exception>
    /// <exception cref="InvalidOperationException">The client is not started, or <see cref="BrokerChatClientOptions.MaxPendingInvocations"/> invocations are already waiting.</exception>
    public Task<BrokerChatInvokeResult> InvokeAsync(string eventName, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, CancellationToken cancellationToken = default) =>
        InvokeAsync(eventName, data, dataType, _options.InvokeTimeout, cancellationToken);

    /// <summary>Invokes the server's handler of a user event and returns its answer; gives up after <paramref name="timeout"/>.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="data">UTF-8 JSON text, UTF-8 text or bytes, as <paramref name="dataType"/> says.</param>
    /// <param name="dataType">How the data is to be read.</param>
    /// <param name="timeout">How long to wait for the answer (positive, at most a day), instead of <see cref="BrokerChatClientOptions.InvokeTimeout"/>.</param>
    /// <param name="cancellationToken">Stops waiting and sends <c>cancelInvocation</c>; the handler may still run.</param>
    /// <inheritdoc cref="InvokeAsync(string, ReadOnlyMemory{byte}, WebPubSubDataType, CancellationToken)" path="/exception"/>
    public async Task<BrokerChatInvokeResult> InvokeAsync(string eventName, ReadOnlyMemory<byte> data, WebPubSubDataType dataType, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ValidateData(data.Span, dataType);
        BrokerChatClientOptions.Positive(timeout, nameof(timeout));
        var id = ((ulong)Interlocked.Increment(ref _nextInvocationId)).ToString(CultureInfo.InvariantCulture);
        var invocation = new PendingInvocation(id, _codec.Invoke(id, eventName, dataType, data.Span));
        if (!_invocations.TryAdd(invocation))
        {
            throw new InvalidOperationException($"{_invocations.Capacity} invocations are already waiting for their responses (MaxPendingInvocations); wait for one to end.");
        }

        using var deadline = new CancellationTokenSource(timeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await WriteOnCurrentAsync(invocation.Frame, transport => invocation.Transport = transport, linked.Token).ConfigureAwait(false);
            return await invocation.Outcome.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (linked.IsCancellationRequested)
        {
            // Removed first, so that a response arriving from now on is ignored; best effort, not awaited.
            if (_invocations.Remove(invocation) && invocation.Transport is { } transport)
            {
                _ = WriteControlAsync(transport, _codec.CancelInvocation(id));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"Invocation {id} of '{eventName}' was cancelled.", ex, cancellationToken);
            }

            throw new TimeoutException($"No response to invocation {id} of '{eventName}' arrived within {timeout}.", ex);
        }
        finally
        {
            _invocations.Remove(invocation);
        }
    }
}
