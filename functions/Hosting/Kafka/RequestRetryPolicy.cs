using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Runs the request handler on one record, or on a batch of one key slot's records, trying again when it throws: up
/// to <see cref="FunctionsOptions.MaxAttempts"/> tries, with exponential backoff and jitter from
/// <see cref="FunctionsOptions.RetryDelay"/> up to <see cref="FunctionsOptions.MaxRetryDelay"/> (Polly). It runs on
/// the record's key slot, so only the keys of that slot wait meanwhile. Cancellation is not retried; what is left
/// after the last try is the caller's to set aside (or, for a batch, to try record by record).
/// </summary>
internal sealed class RequestRetryPolicy
{
    private static readonly ResiliencePropertyKey<KeySlot> SlotKey = new("brokerchat.slot");
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Creates the policy of one worker; retries are counted in <paramref name="metrics"/> and logged to <paramref name="logger"/>.</summary>
    public RequestRetryPolicy(FunctionsOptions options, FunctionsMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    metrics.Failed();
                    metrics.Retried();
                    if (args.Context.Properties.TryGetValue(SlotKey, out var slot))
                    {
                        var reason = args.Outcome.Exception?.Message ?? "";
                        if (slot.Count > 1)
                        {
                            Log.BatchRetrying(logger, slot.Partition, slot.Current, slot.Count, args.AttemptNumber + 1, args.RetryDelay, reason);
                        }
                        else
                        {
                            Log.Retrying(logger, slot.Partition, slot.Current, args.AttemptNumber + 1, args.RetryDelay, reason);
                        }
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>
    /// The deliveries <paramref name="handler"/> makes of <paramref name="frame"/>, tried until it returns or the tries
    /// run out (the last exception is thrown then); <see cref="KeySlot.Attempts"/> counts the tries.
    /// </summary>
    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(
        IRequestHandler handler, KeySlot slot, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        slot.Current = position.Offset;
        slot.Count = 1;
        return RunAsync(
            slot,
            static (state, ct) => state.Handler.HandleAsync(state.Frame, state.Position, ct),
            (Handler: handler, Frame: frame, Position: position),
            token);
    }

    /// <summary>
    /// The deliveries <paramref name="handler"/> makes of each of <paramref name="frames"/>, read one after another
    /// into one key slot, in one <see cref="IRequestHandler.HandleBatchAsync"/> call tried once: a batch that throws is
    /// not tried again as a whole, its requests are then tried one by one with the retries, so only a failing one is
    /// retried and set aside (and it is tried at most once more than <see cref="FunctionsOptions.MaxAttempts"/>). A call
    /// that answers for another number of requests than it was given counts as a failure.
    /// </summary>
    public static async ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>> HandleBatchAsync(
        IRequestHandler handler, KeySlot slot, IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, CancellationToken token)
    {
        slot.Current = positions[0].Offset;
        slot.Count = frames.Count;
        slot.Attempts = 1;
        var results = await handler.HandleBatchAsync(frames, positions, token).ConfigureAwait(false);
        return results?.Count == frames.Count
            ? results
            : throw new InvalidOperationException($"The handler answered a batch of {frames.Count} requests with {results?.Count ?? 0} results.");
    }

    private async ValueTask<TResult> RunAsync<TState, TResult>(
        KeySlot slot, Func<TState, CancellationToken, ValueTask<TResult>> run, TState state, CancellationToken token)
    {
        slot.Attempts = 0;
        var context = ResilienceContextPool.Shared.Get(token);
        context.Properties.Set(SlotKey, slot);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, s) =>
                {
                    s.Slot.Attempts++;
                    return s.Run(s.State, ctx.CancellationToken);
                },
                context,
                (Slot: slot, Run: run, State: state)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
