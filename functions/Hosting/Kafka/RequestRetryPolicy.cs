using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Runs the request handler on one record, trying again when it throws: up to <see cref="FunctionsOptions.MaxAttempts"/>
/// tries, with exponential backoff and jitter from <see cref="FunctionsOptions.RetryDelay"/> up to
/// <see cref="FunctionsOptions.MaxRetryDelay"/> (Polly). It runs on the record's lane, so only its own partition waits
/// meanwhile. Cancellation is not retried; what is left after the last try is the caller's to set aside.
/// </summary>
internal sealed class RequestRetryPolicy
{
    private static readonly ResiliencePropertyKey<PartitionLane> LaneKey = new("brokerchat.lane");
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
                    if (args.Context.Properties.TryGetValue(LaneKey, out var lane))
                    {
                        Log.Retrying(logger, lane.Partition, lane.Current, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>
    /// The deliveries <paramref name="handler"/> makes of <paramref name="frame"/>, tried until it returns or the tries
    /// run out (the last exception is thrown then); <see cref="PartitionLane.Attempts"/> counts the tries.
    /// </summary>
    public async ValueTask<IReadOnlyList<Delivery>> HandleAsync(
        IRequestHandler handler, PartitionLane lane, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        lane.Attempts = 0;
        var context = ResilienceContextPool.Shared.Get(token);
        context.Properties.Set(LaneKey, lane);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, state) =>
                {
                    state.Lane.Attempts++;
                    return state.Handler.HandleAsync(state.Frame, state.Position, ctx.CancellationToken);
                },
                context,
                (Lane: lane, Handler: handler, Frame: frame, Position: position)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
