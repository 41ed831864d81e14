using Confluent.Kafka;
using Log = BrokerChat.Functions.History.HistoryLog;

namespace BrokerChat.Functions.History;

// Between two polls the poll thread services the lanes: a paused partition resumes once its lane is down to half, a
// lane that failed is started again from its first unwritten record, and every second each partition's lag is
// measured for the metrics. Beside the poll thread, the age retention runs every History:TrimInterval.
public sealed partial class HistoryWorker
{
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);
    private long _lagMeasuredAt;

    private void ServiceLanes(IConsumer<byte[], byte[]> consumer)
    {
        var measureLag = _time.GetElapsedTime(_lagMeasuredAt) >= LagInterval;
        if (measureLag)
        {
            _lagMeasuredAt = _time.GetTimestamp();
        }

        foreach (var state in _lanes.Values)
        {
            var lane = state.Lane;
            var tp = lane.TopicPartition;
            if (lane.Progress.NeedsRewind)
            {
                StopLanes([state], commit: null);
                var from = lane.Progress.FirstUnfinished;
                _lanes[state.Partition] = StartLane(tp, state.Low, state.High, state.Mark);
                if (from >= 0)
                {
                    consumer.Seek(new TopicPartitionOffset(tp, from));
                }

                if (lane.Paused)
                {
                    consumer.Resume([tp]);
                }

                continue;
            }

            if (lane.Paused && lane.Progress.InFlight <= _options.MaxInFlightPerPartition / 2)
            {
                consumer.Resume([tp]);
                lane.Paused = false;
            }

            if (measureLag)
            {
                MeasureLag(consumer, state);
            }
        }
    }

    private void MeasureLag(IConsumer<byte[], byte[]> consumer, HistoryLane state)
    {
        try
        {
            var tp = state.Lane.TopicPartition;
            var high = consumer.GetWatermarkOffsets(tp).High.Value;
            var next = state.Lane.Progress.FirstUnfinished;
            if (next < 0)
            {
                next = consumer.Position(tp).Value;
            }

            if (high >= 0 && next >= 0)
            {
                _metrics.Lag(state.Partition, Math.Max(0, high - next));
            }
        }
        catch (KafkaException)
        {
            // Not known yet: the gauge keeps the last value.
        }
    }

    private async Task TrimLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TrimInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var deleted = await _store.TrimByAgeAsync(_time.GetUtcNow().ToUnixTimeMilliseconds(), stoppingToken).ConfigureAwait(false);
                    if (deleted > 0)
                    {
                        Log.Trimmed(_logger, deleted);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.TrimFailed(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
