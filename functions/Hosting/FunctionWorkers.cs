using BrokerChat.Functions.Hosting.Kafka;
using Microsoft.Extensions.Hosting;

namespace BrokerChat.Functions.Hosting;

/// <summary>The Kafka workers of this process, started and stopped together.</summary>
public sealed class FunctionWorkers(IReadOnlyList<KafkaFunctionWorker> workers) : IHostedService, IDisposable
{
    /// <summary>The workers.</summary>
    public IReadOnlyList<KafkaFunctionWorker> Workers { get; } = workers;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var worker in Workers)
        {
            await worker.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Workers.Select(w => w.StopAsync(cancellationToken)));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var worker in Workers)
        {
            worker.Dispose();
        }
    }
}
