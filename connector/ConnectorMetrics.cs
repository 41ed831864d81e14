using System.Diagnostics.Metrics;

namespace BrokerChat.Connector;

/// <summary>
/// Metrics of the connector, on the meter <c>BrokerChat.Connector</c>:
/// <list type="table">
/// <item><term>brokerchat.connector.connections</term><description>gauge: open client connections</description></item>
/// <item><term>brokerchat.connector.connections.opened</term><description>counter: connections accepted</description></item>
/// <item><term>brokerchat.connector.connections.closed</term><description>counter, tag <c>reason</c>: connections ended (client_close, abort, timeout, slow_client, rate_limit, message_too_big, invalid_frame (protocol errors included), shutdown, …)</description></item>
/// <item><term>brokerchat.connector.connections.rejected</term><description>counter, tag <c>reason</c>: upgrades refused (unauthorized, max_connections, max_per_user, max_per_address, bad_request, handshake_timeout, recovery_refused; connect_refused, connect_failed, connect_timeout by a hub's connect handler, client_left while it decided)</description></item>
/// <item><term>brokerchat.connector.frames.in / .out</term><description>counters: WebSocket messages received / sent</description></item>
/// <item><term>brokerchat.connector.bytes.in / .out</term><description>counters: payload bytes received / sent</description></item>
/// <item><term>brokerchat.connector.requests.rejected</term><description>counter, tag <c>reason</c>: requests answered with an ack error by the connector (rate_limit, busy, forbidden, bad_request, max_groups, pending_acks, pending_invocations, awaited_outcomes (the process's <c>Connector:MaxAwaitedOutcomes</c> bound), duplicate, timeout for an ack or an invocation not answered in time, kafka)</description></item>
/// <item><term>brokerchat.connector.connection_events.skipped</term><description>counter, tag <c>event</c> (connected, disconnected): connection records not produced to the inbound topic because its bound was full or Kafka refused them at once</description></item>
/// <item><term>brokerchat.connector.heartbeat.timeouts</term><description>counter: connections closed because nothing arrived within the client timeout</description></item>
/// <item><term>brokerchat.connector.deliveries.duplicate</term><description>counter, tag <c>by</c>: messages and message changes read again from Kafka (after the functions handled a request twice, or a worker that lost its partitions still produced) and dropped, not delivered twice; <c>position</c> when recognised by their inbound record's position (<see cref="Contracts.Messages.DeliverySource"/>), <c>message_id</c> (group messages only) by a message id the room history holds</description></item>
/// <item><term>brokerchat.connector.messages.expired</term><description>counter, tag <c>stage</c>: messages a REST send gave a <c>messageTtlSeconds</c> and that were dropped undelivered once it passed: fanout (read from Kafka after it expired; counted once for all its recipients here), queue (it expired while waiting in a client's outbound queue; per client), history (not sent from a room's history on join or on a session's resume; per client)</description></item>
/// <item><term>brokerchat.connector.sessions.resumed</term><description>counter, tag <c>from</c> (local, token): reliable sessions resumed after a dropped connection</description></item>
/// <item><term>brokerchat.connector.sessions.store_resumes</term><description>counter: reliable sessions resumed from a token with a gap the rooms' memory no longer covered, filled from the history store</description></item>
/// <item><term>brokerchat.connector.sessions.store_replayed</term><description>counter: messages such resumes gave from the history store (the rest of their replay came from memory)</description></item>
/// <item><term>brokerchat.connector.sessions.token_refreshes</term><description>counter, tag <c>reason</c>: reconnection tokens sent in a reliable session's stream after its first (<c>connected</c> messages with the session's own id): group (its groups changed), partition (the next message comes from another partition), server (after a message only this connector can replay), history (the rooms' histories would soon no longer reach back to the last token), permission (a REST grant or revocation changed its permissions), shutdown</description></item>
/// <item><term>brokerchat.connector.sessions.ended</term><description>counter: reliable sessions the server ended for good (REST closes), refused everywhere when their clients try to resume them</description></item>
/// <item><term>brokerchat.connector.delivery.latency</term><description>histogram, seconds: from the request's arrival at its connector to the delivery's fan-out here (across connectors this includes clock skew)</description></item>
/// <item><term>brokerchat.connector.outbound.queued_bytes</term><description>gauge: bytes waiting in all outbound queues</description></item>
/// <item><term>brokerchat.connector.producer.pending</term><description>gauge: requests handed to Kafka whose delivery is not confirmed yet</description></item>
/// </list>
/// </summary>
public sealed class ConnectorMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BrokerChat.Connector";

    private readonly Meter _meter;
    private readonly Counter<long> _opened;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _framesIn;
    private readonly Counter<long> _framesOut;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _requestsRejected;
    private readonly Counter<long> _heartbeatTimeouts;
    private readonly Counter<long> _connectionEventsSkipped;
    private readonly Counter<long> _resumed;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _storeResumes;
    private readonly Counter<long> _storeReplayed;
    private readonly Counter<long> _tokenRefreshes;
    private readonly Counter<long> _sessionsEnded;
    private readonly Histogram<double> _deliveryLatency;

    /// <summary>Creates the instruments; the gauges read the connection store and the inbound capacity through the given functions.</summary>
    internal ConnectorMetrics(IMeterFactory meterFactory, Func<int> openConnections, Func<long> queuedBytes, Func<int> pendingRequests)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("brokerchat.connector.connections", openConnections, "{connection}", "Open client connections.");
        _meter.CreateObservableGauge("brokerchat.connector.outbound.queued_bytes", queuedBytes, "By", "Bytes waiting in outbound queues.");
        _meter.CreateObservableGauge("brokerchat.connector.producer.pending", pendingRequests, "{request}", "Requests handed to Kafka and not yet confirmed.");
        _opened = _meter.CreateCounter<long>("brokerchat.connector.connections.opened", "{connection}");
        _closed = _meter.CreateCounter<long>("brokerchat.connector.connections.closed", "{connection}");
        _rejected = _meter.CreateCounter<long>("brokerchat.connector.connections.rejected", "{connection}");
        _framesIn = _meter.CreateCounter<long>("brokerchat.connector.frames.in", "{frame}");
        _framesOut = _meter.CreateCounter<long>("brokerchat.connector.frames.out", "{frame}");
        _bytesIn = _meter.CreateCounter<long>("brokerchat.connector.bytes.in", "By");
        _bytesOut = _meter.CreateCounter<long>("brokerchat.connector.bytes.out", "By");
        _requestsRejected = _meter.CreateCounter<long>("brokerchat.connector.requests.rejected", "{request}");
        _heartbeatTimeouts = _meter.CreateCounter<long>("brokerchat.connector.heartbeat.timeouts", "{connection}");
        _connectionEventsSkipped = _meter.CreateCounter<long>("brokerchat.connector.connection_events.skipped", "{record}", "Connected and disconnected records not produced to the inbound topic.");
        _duplicates = _meter.CreateCounter<long>("brokerchat.connector.deliveries.duplicate", "{message}", "Messages and message changes read again from Kafka and dropped.");
        _expired = _meter.CreateCounter<long>("brokerchat.connector.messages.expired", "{message}", "Messages dropped undelivered because their time to live passed.");
        _deliveryLatency = _meter.CreateHistogram(
            "brokerchat.connector.delivery.latency",
            "s",
            "From a request's arrival at its connector to its delivery's fan-out here.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _resumed = _meter.CreateCounter<long>("brokerchat.connector.sessions.resumed", "{session}", "Reliable sessions resumed after a dropped connection (from = local or token).");
        _storeResumes = _meter.CreateCounter<long>("brokerchat.connector.sessions.store_resumes", "{session}", "Reliable sessions resumed with messages from the history store.");
        _storeReplayed = _meter.CreateCounter<long>("brokerchat.connector.sessions.store_replayed", "{message}", "Messages resuming sessions were given from the history store.");
        _tokenRefreshes = _meter.CreateCounter<long>("brokerchat.connector.sessions.token_refreshes", "{frame}", "Reconnection tokens sent in a reliable session's stream after its first.");
        _sessionsEnded = _meter.CreateCounter<long>("brokerchat.connector.sessions.ended", "{session}", "Reliable sessions the server ended for good.");
    }

    internal void Opened() => _opened.Add(1);

    internal void Closed(string reason) => _closed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void FrameIn(int bytes)
    {
        _framesIn.Add(1);
        _bytesIn.Add(bytes);
    }

    internal void FrameOut(int bytes)
    {
        _framesOut.Add(1);
        _bytesOut.Add(bytes);
    }

    internal void RequestRejected(string reason) => _requestsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void HeartbeatTimeout() => _heartbeatTimeouts.Add(1);

    internal void ConnectionEventSkipped(string @event) => _connectionEventsSkipped.Add(1, new KeyValuePair<string, object?>("event", @event));

    internal void DuplicateDropped(string by) => _duplicates.Add(1, new KeyValuePair<string, object?>("by", by));

    internal void Expired(string stage, int count = 1) => _expired.Add(count, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>Messages that expired in a client's outbound queue (<see cref="Connections.ClientConnection.MessageExpired"/>).</summary>
    internal void ExpiredInQueue(int count) => Expired("queue", count);

    internal void Delivered(TimeSpan latency) => _deliveryLatency.Record(Math.Max(0, latency.TotalSeconds));

    internal void Resumed(string from) => _resumed.Add(1, new KeyValuePair<string, object?>("from", from));

    internal void ResumedFromStore(int messages)
    {
        _storeResumes.Add(1);
        _storeReplayed.Add(messages);
    }

    internal void TokenRefreshed(string reason) => _tokenRefreshes.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void SessionEnded() => _sessionsEnded.Add(1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
