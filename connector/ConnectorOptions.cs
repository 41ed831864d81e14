using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Connector;

/// <summary>Settings of the connector, bound from the <c>Connector</c> configuration section.</summary>
public sealed class ConnectorOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Connector";

    /// <summary>
    /// This connector's id, carried in every request so acks find their way back. The default is a random id per
    /// process start; set it only if you need stable ids in logs, and keep it unique per running instance.
    /// </summary>
    [RegularExpression(@"^[A-Za-z0-9._-]{1,64}$")]
    public string? Id { get; set; }

    /// <summary>
    /// How long a request with an <c>ackId</c> waits for the functions' outcome before the client gets an ack error
    /// <c>Timeout</c>. The default is 10 s.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an <c>invoke</c> waits for the functions' <c>invokeResponse</c> before the connector answers it with
    /// the error <c>Timeout</c> (a response that comes later is dropped). The default is 60 s.
    /// </summary>
    public TimeSpan InvokeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether the connector produces a <c>Connected</c> record to the inbound topic when a client connection opens and
    /// a <c>Disconnected</c> one when it ends, for the functions' <c>connected</c> and <c>disconnected</c> handlers. They
    /// never wait for Kafka: when the inbound bound (<see cref="MaxPendingProduces"/>) is full the record is skipped
    /// and counted. The default is true.
    /// </summary>
    public bool ConnectionEvents { get; set; } = true;

    /// <summary>
    /// How long a hub's blocking <c>connect</c> handler may take to decide on a connection before the upgrade is refused
    /// with 504 (the connector fails closed). On the raw transport the call is part of the handshake, which
    /// <see cref="HandshakeTimeout"/> also bounds: past it the connection is dropped unanswered. The default is 5 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest client message accepted, in bytes; a larger one closes the connection with 1009. The default is 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Frames that may wait in one connection's outbound queue. A client that falls further behind is disconnected
    /// (<c>SlowClient</c>) rather than buffered without bound. The default is 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int OutboundQueueMessages { get; set; } = 1000;

    /// <summary>Bytes that may wait in one connection's outbound queue. The default is 4 MiB.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int OutboundQueueBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long closing a socket may take before it is aborted. The default is 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A WebSocket ping is sent to a connection that was sent nothing else for this long; every WebSocket client
    /// answers it with a pong, so a healthy idle client is never timed out. The default is 15 s, half of
    /// <see cref="ClientTimeout"/>, so the pong has half the timeout to arrive.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A connection from which no frame (data, ping or pong) arrived for this long is closed (1001,
    /// <c>PingTimeout</c>) and cleaned up; this frees half-open sockets and hung clients. The default is 30 s.
    /// </summary>
    public TimeSpan ClientTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A TCP connection that has not sent a complete upgrade request within this time is dropped, so a slowloris
    /// client cannot hold a slot (enforced by the heartbeat scan for connections still in the handshake, and by
    /// Kestrel's header and keep-alive timeouts for other HTTP requests). The default is 10 s.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The listen backlog: TCP connections the kernel completes and holds until the connector accepts them. A burst
    /// of new connections beyond it (after a restart, every client reconnecting at once) waits for the client's SYN
    /// retransmit, a second or more. The default is 4,096; Linux caps it at <c>net.core.somaxconn</c>.
    /// </summary>
    [Range(1, 65_535)]
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>Concurrent client connections this process accepts; beyond it upgrades get HTTP 503. The default is 50,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxConnections { get; set; } = 50_000;

    /// <summary>Concurrent connections of one user id on this process; beyond it upgrades get HTTP 429. The default is 100.</summary>
    [Range(1, 10_000_000)]
    public int MaxConnectionsPerUser { get; set; } = 100;

    /// <summary>
    /// Concurrent connections from one client IP address on this process; beyond it upgrades get HTTP 429. The default
    /// is 10,000 (behind a proxy every client has the proxy's address unless forwarded headers are configured).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxConnectionsPerAddress { get; set; } = 10_000;

    /// <summary>Groups one connection may be in; a join beyond it gets an ack error. The default is 1,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxGroupsPerConnection { get; set; } = 1000;

    /// <summary>Sustained requests per second one connection may send (a token bucket). The default is 100.</summary>
    [Range(1, 1_000_000)]
    public double MaxMessagesPerSecond { get; set; } = 100;

    /// <summary>Requests one connection may send in a burst above the sustained rate. The default is 200.</summary>
    [Range(1, 1_000_000)]
    public int MessageBurst { get; set; } = 200;

    /// <summary>
    /// Requests over the rate limit (each answered with an ack error) after which the connection is closed with 1008.
    /// The count decays at the sustained rate. The default is 100.
    /// </summary>
    [Range(1, 1_000_000)]
    public int RateLimitDisconnectAfter { get; set; } = 100;

    /// <summary>
    /// Requests handed to Kafka whose outcome from the brokers is not known yet, across the process. At the bound the
    /// connector stops reading client sockets (TCP pushes back) for up to <see cref="InboundBackpressureTimeout"/>,
    /// then answers the request with an ack error. The default is 20,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxPendingProduces { get; set; } = 20_000;

    /// <summary>
    /// Client requests awaiting their outcome (a request with an <c>ackId</c> waiting for its ack, an <c>invoke</c>
    /// waiting for its response), across the process. This bounds the backlog the functions have to work through:
    /// past it a request is answered at once with the ack error <c>InternalServerError</c> "busy" and never reaches
    /// Kafka, so a flood gets quick refusals instead of a queue that grows until every request times out. Set it to
    /// about what the functions handle in the latency you accept (about a second's worth). The default is 10,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxAwaitedOutcomes { get; set; } = 10_000;

    /// <summary>How long a connection waits for room to hand a request to Kafka before it is refused. The default is 5 s.</summary>
    public TimeSpan InboundBackpressureTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a graceful shutdown waits for clients to close and outbound queues to drain. The default is 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Unacknowledged messages one reliable connection may hold (sent, or waiting while the client is away); beyond it
    /// the session ends with 1008, as Azure Web PubSub does. The default is 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ReliableBufferMessages { get; set; } = 1000;

    /// <summary>Bytes of unacknowledged messages one reliable connection may hold. The default is 16 MiB.</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public long ReliableBufferBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long a reliable session whose connection dropped is kept on this connector for its client to resume it
    /// (with everything it did not acknowledge). The Web PubSub clients try for 30 s. The default is 60 s.
    /// </summary>
    public TimeSpan SessionRetention { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Messages of one room (hub + group) each connector keeps from the outbound stream, so that a session whose
    /// connector died can be resumed on another one. The default is 1,000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RoomHistoryMessages { get; set; } = 1000;

    /// <summary>
    /// How long a message stays in its room's history: the longest gap a session resumed on another connector can
    /// bridge. The default is 5 minutes.
    /// </summary>
    public TimeSpan RoomHistoryAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Bytes all room histories of a connector may hold together; the oldest messages go first. The default is 256 MiB.</summary>
    [Range(0, long.MaxValue)]
    public long RoomHistoryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Rooms a connector keeps a history for; the room quiet for longest goes first. The default is 100,000.</summary>
    [Range(1, 100_000_000)]
    public int RoomHistoryRooms { get; set; } = 100_000;

    /// <summary>
    /// Records per outbound partition a starting connector reads back into its rooms' histories (without sending them to
    /// anyone), so that history on join and sessions resumed from elsewhere work on a connector that just started.
    /// Only messages younger than <see cref="RoomHistoryAge"/> are kept, within the other history bounds; the read
    /// gives up after 15 s. 0 turns it off. The default is 10,000.
    /// </summary>
    [Range(0, 10_000_000)]
    public int RoomHistoryWarmupRecords { get; set; } = 10_000;

    /// <summary>
    /// Most messages a client gets when it joins a group with <c>"history": N</c>; a larger N is cut to this. They come
    /// from the room's history, so they are also bounded by <see cref="RoomHistoryMessages"/> and
    /// <see cref="RoomHistoryAge"/>. 0 turns history on join off. The default is 100.
    /// </summary>
    [Range(0, 1_000_000)]
    public int HistoryMaxMessages { get; set; } = 100;

    /// <summary>
    /// How often this connector tells the others it is alive (a small record straight to the outbound topic), and how
    /// often it checks whether others are still alive (at least every second). The default is 5 s.
    /// </summary>
    public TimeSpan PresenceBeaconInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connector whose beacon is older than this counts as dead: its members are removed from every room's member
    /// list (subscribers are told they left), at most this plus one check interval after its last beacon. Every beacon
    /// carries its sender's value, so connectors with other settings honour it. At least twice
    /// <see cref="PresenceBeaconInterval"/>. The default is 20 s.
    /// </summary>
    public TimeSpan PresenceExpiry { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// When Kafka has neither confirmed nor returned any of this connector's beacons for this long, the connector
    /// counts itself cut off from Kafka: <c>/readyz</c> turns unhealthy, new connections are refused (503), and every
    /// client is told to reconnect elsewhere (<c>disconnected</c>, then close 1012; reliable sessions resume on another
    /// connector). All resumes once a beacon gets through again. At least twice <see cref="PresenceBeaconInterval"/>;
    /// zero turns it off. The default is 20 s, longer than a broker failover.
    /// </summary>
    public TimeSpan KafkaLossTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Members (across all rooms and connectors) this connector's presence table holds; joins beyond it are not
    /// recorded and lists answered meanwhile say they are incomplete. The default is 1,000,000 (about 270 MB).
    /// </summary>
    [Range(1, 100_000_000)]
    public int PresenceMaxMembers { get; set; } = 1_000_000;

    /// <summary>
    /// Members one room's list holds; joins beyond it are not recorded (nor announced), and the room's list says it is
    /// incomplete. The default is 10,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int PresenceMaxMembersPerRoom { get; set; } = 10_000;

    /// <summary>Lifetime of reconnection tokens. The default is 7 days, as Azure Web PubSub's.</summary>
    public TimeSpan ReconnectionTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A reliable connection is sent a fresh reconnection token (a <c>connected</c> message with its own id) once this
    /// many messages came after its last one, so that a resume on another connector never needs more of a room's
    /// history than it holds. Half <see cref="RoomHistoryMessages"/> is used when that is less. The default is 500.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ReconnectionTokenRefreshMessages { get; set; } = 500;

    /// <summary>
    /// ... and a reliable connection in groups once its token is this old, so the rooms' histories still reach back to
    /// it. Half <see cref="RoomHistoryAge"/> is used when that is less. The default is 2.5 minutes.
    /// </summary>
    public TimeSpan ReconnectionTokenRefreshInterval { get; set; } = TimeSpan.FromMinutes(2.5);

    /// <summary>
    /// How long every connector remembers a reliable session the server ended (a REST close), refusing to resume it
    /// from its reconnection token. The Web PubSub clients try to recover for 30 s. The default is 10 minutes.
    /// </summary>
    public TimeSpan EndedSessionRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Ended sessions every connector remembers at most (the oldest are forgotten first). The default is 100,000.</summary>
    [Range(1, 10_000_000)]
    public int EndedSessionsMax { get; set; } = 100_000;

    /// <summary>
    /// How long resuming a session from its token may wait for this connector to read the outbound stream as far as
    /// the connector the session came from did, and then, for rooms whose gap the memory no longer covers, for the
    /// history store to be read and written up to where the memory begins (a second wait as long). The default is 5 s.
    /// </summary>
    public TimeSpan RecoveryCatchUpTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
