using System.Net.WebSockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Sessions;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// The one periodic scan over all connections (there are no per-connection timers). Each tick is a few timestamp
/// comparisons per connection: a keep-alive ping to a connection that was sent nothing for
/// <see cref="ConnectorOptions.KeepAliveInterval"/>, a close for one that sent nothing (not even a pong) for
/// <see cref="ConnectorOptions.ClientTimeout"/> (this frees half-open sockets), an abort for a close that did not
/// finish within <see cref="ConnectorOptions.CloseTimeout"/>, an ack error for each request
/// whose outcome did not arrive within <see cref="ConnectorOptions.AckTimeout"/>, and an <c>invokeResponse</c> error for
/// each invocation not answered within <see cref="ConnectorOptions.InvokeTimeout"/>; and it aborts connections whose
/// WebSocket request head did not arrive within <see cref="ConnectorOptions.HandshakeTimeout"/>. When the application stops it
/// tells every client, with a <c>disconnected</c> message and close code 1012, to reconnect elsewhere, and aborts
/// whatever has not closed after <see cref="ConnectorOptions.ShutdownTimeout"/>; it does the same when Kafka is lost
/// (<see cref="KafkaLink"/>).
/// </summary>
internal sealed class ConnectionHeartbeat(
    ConnectionIndex connections,
    PendingHandshakes handshakes,
    ReliableSessions sessions,
    ConnectionAdmission admission,
    OutboundState outbound,
    KafkaLink kafka,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectionHeartbeat> logger) : BackgroundService
{
    /// <summary>How often the scan runs.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly ConnectorOptions _options = options.Value;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => _ = CloseAllForShutdownAsync());
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
        var frequency = timeProvider.TimestampFrequency;
        var keepAlive = (long)(_options.KeepAliveInterval.TotalSeconds * frequency);
        var clientTimeout = (long)(_options.ClientTimeout.TotalSeconds * frequency);
        var closeTimeout = (long)(_options.CloseTimeout.TotalSeconds * frequency);
        var handshakeTimeout = (long)(_options.HandshakeTimeout.TotalSeconds * frequency);
        var retention = (long)(_options.SessionRetention.TotalSeconds * frequency);
        lock (outbound.Gate)
        {
            outbound.History.Trim();
        }

        CheckKafka();

        for (var aborted = handshakes.AbortExpired(now, handshakeTimeout); aborted > 0; aborted--)
        {
            metrics.Rejected("handshake_timeout");
        }

        foreach (var connection in connections.All)
        {
            if (connection.IsDetached || connection.SessionEnded)
            {
                // A reliable session waiting for its client: it ends when the client does not come back in time.
                if (connection.TryExpire(now, retention))
                {
                    metrics.Closed("session_expired");
                    admission.End(connection, "session_expired");
                }

                continue;
            }

            if (connection.IsClosing)
            {
                // A close that cannot finish (the client reads nothing, or never answers the close) is cut off; one
                // for a client timeout does not wait at all, as its close frame could not even be written.
                if (connection.AbortsAfterClose || now - connection.ClosingSince >= closeTimeout)
                {
                    connection.Abort();
                }

                continue;
            }

            if (now - connection.LastReceived >= clientTimeout)
            {
                metrics.HeartbeatTimeout();
                connection.Close(WebSocketCloseStatus.EndpointUnavailable, $"PingTimeout: nothing received for {_options.ClientTimeout.TotalSeconds:0} s.", discardQueued: true, kind: "timeout", session: SessionOnClose.Keep, abortAfterClose: true);
                continue;
            }

            if (now - connection.LastSent >= keepAlive || (now - connection.LastReceived >= keepAlive && now - connection.LastPing >= keepAlive))
            {
                // A WebSocket ping, when the server has sent nothing for a keep-alive interval or the client has been
                // silent that long (a member that only listens in a busy room): every client stack answers it with a
                // pong, which counts as a sign of life, so a healthy client is never timed out. Marked when queued,
                // so a slow socket does not get one per tick.
                connection.MarkSent(now);
                connection.MarkPinged(now);
                connection.TrySendPing();
            }

            if (connection.IsReliable)
            {
                // A session in groups keeps a token recent enough for the rooms' histories to reach back to it.
                sessions.RefreshIfOld(connection, now);
            }

            if (connection.ExpireAcks(now) is { } expired && !connection.IsSimple)
            {
                foreach (var ackId in expired)
                {
                    metrics.RequestRejected("timeout");
                    connection.TryEnqueue(connection.Writer.AckError(ackId, AckErrorNames.Timeout, "No outcome arrived in time; the message may or may not have been delivered."));
                }
            }

            if (connection.ExpireInvocations(now) is { } timedOut && !connection.IsSimple)
            {
                foreach (var invocationId in timedOut)
                {
                    metrics.RequestRejected("timeout");
                    connection.TryEnqueue(connection.Writer.InvokeError(invocationId, AckErrorNames.Timeout, $"No response arrived within {_options.InvokeTimeout.TotalSeconds:0} s."));
                }
            }
        }
    }

    /// <summary>
    /// Once Kafka has been silent for <see cref="ConnectorOptions.KafkaLossTimeout"/>, nothing sent here can be
    /// delivered: every client is told to reconnect, and a load balancer (reading <c>/readyz</c>) sends it elsewhere.
    /// </summary>
    private void CheckKafka()
    {
        switch (kafka.Update())
        {
            case KafkaLink.Change.Lost:
                EndpointLog.KafkaLost(logger, kafka.Silence.TotalSeconds, connections.Count);
                foreach (var connection in connections.All)
                {
                    if (!connection.IsDetached && !connection.IsClosing)
                    {
                        sessions.CloseForShutdown(connection, "This server lost its connection to Kafka; reconnect.", "kafka_lost");
                    }
                }

                break;
            case KafkaLink.Change.Restored:
                EndpointLog.KafkaRestored(logger);
                break;
        }
    }

    private async Task CloseAllForShutdownAsync()
    {
        EndpointLog.ClosingForShutdown(logger, connections.Count);
        foreach (var connection in connections.All)
        {
            // Queued frames are still sent first, within the shutdown timeout.
            if (!connection.IsDetached)
            {
                sessions.CloseForShutdown(connection);
            }
        }

        await Task.Delay(_options.ShutdownTimeout, timeProvider).ConfigureAwait(false);
        foreach (var connection in connections.All)
        {
            connection.Abort();
        }
    }
}
