using System.Net.WebSockets;
using BrokerChat.Connector.Protocol;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// The one periodic scan over all connections (there are no per-connection timers): it expires acks whose
/// outcome did not arrive within <see cref="ConnectorOptions.AckTimeout"/>. When the application stops it tells
/// every client, with a <c>disconnected</c> message and close code 1012, to reconnect elsewhere.
/// </summary>
internal sealed class ConnectionHeartbeat(
    ConnectionIndex connections,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectionHeartbeat> logger) : BackgroundService
{
    /// <summary>How often the scan runs.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(CloseAllForShutdown);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One scan; separate so tests can drive it.</summary>
    internal void Tick()
    {
        var now = timeProvider.GetTimestamp();
        foreach (var connection in connections.All)
        {
            if (connection.ExpireAcks(now) is { } expired)
            {
                foreach (var ackId in expired)
                {
                    connection.TryEnqueue(JsonFrameWriter.AckError(ackId, AckErrorNames.Timeout, "No outcome arrived in time; the message may or may not have been delivered."));
                }
            }
        }
    }

    private void CloseAllForShutdown()
    {
        ConnectorLog.ClosingForShutdown(logger, connections.Count);
        foreach (var connection in connections.All)
        {
            connection.Close(ClientConnection.ServiceRestart, "The server is restarting; reconnect.");
        }
    }
}
