using BrokerChat.Connector;

namespace BrokerChat.Testing;

/// <summary>The connector's settings in <see cref="HostSettings"/>: the keys of <see cref="ConnectorOptions"/>.</summary>
public sealed class ConnectorSettings : HostSettingsSection
{
    internal ConnectorSettings(HostSettings settings)
        : base(settings, ConnectorOptions.SectionName)
    {
    }

    /// <summary>How long a request may wait for its ack before the connector answers with a timeout.</summary>
    public TimeSpan? AckTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.AckTimeout));
        set => Set(nameof(ConnectorOptions.AckTimeout), value);
    }

    /// <summary>How long an invocation may wait for its response before the connector answers with a timeout.</summary>
    public TimeSpan? InvokeTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.InvokeTimeout));
        set => Set(nameof(ConnectorOptions.InvokeTimeout), value);
    }

    /// <summary>Whether connections opening and ending are produced to the inbound topic.</summary>
    public bool? ConnectionEvents
    {
        get => Get<bool>(nameof(ConnectorOptions.ConnectionEvents));
        set => Set(nameof(ConnectorOptions.ConnectionEvents), value);
    }

    /// <summary>How long a hub's connect handler may take to decide.</summary>
    public TimeSpan? ConnectTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.ConnectTimeout));
        set => Set(nameof(ConnectorOptions.ConnectTimeout), value);
    }

    /// <summary>How long a connection may take to finish its HTTP upgrade.</summary>
    public TimeSpan? HandshakeTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.HandshakeTimeout));
        set => Set(nameof(ConnectorOptions.HandshakeTimeout), value);
    }

    /// <summary>How long a stopping connector waits for its clients to go.</summary>
    public TimeSpan? ShutdownTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.ShutdownTimeout));
        set => Set(nameof(ConnectorOptions.ShutdownTimeout), value);
    }

    /// <summary>The largest message a client may send.</summary>
    public int? MaxMessageBytes
    {
        get => Get<int>(nameof(ConnectorOptions.MaxMessageBytes));
        set => Set(nameof(ConnectorOptions.MaxMessageBytes), value);
    }

    /// <summary>The bytes queued for one client before it counts as a slow reader.</summary>
    public int? OutboundQueueBytes
    {
        get => Get<int>(nameof(ConnectorOptions.OutboundQueueBytes));
        set => Set(nameof(ConnectorOptions.OutboundQueueBytes), value);
    }

    /// <summary>Connections the connector holds at most.</summary>
    public int? MaxConnections
    {
        get => Get<int>(nameof(ConnectorOptions.MaxConnections));
        set => Set(nameof(ConnectorOptions.MaxConnections), value);
    }

    /// <summary>Connections one user may hold.</summary>
    public int? MaxConnectionsPerUser
    {
        get => Get<int>(nameof(ConnectorOptions.MaxConnectionsPerUser));
        set => Set(nameof(ConnectorOptions.MaxConnectionsPerUser), value);
    }

    /// <summary>Connections one remote address may hold.</summary>
    public int? MaxConnectionsPerAddress
    {
        get => Get<int>(nameof(ConnectorOptions.MaxConnectionsPerAddress));
        set => Set(nameof(ConnectorOptions.MaxConnectionsPerAddress), value);
    }

    /// <summary>Groups one connection may join.</summary>
    public int? MaxGroupsPerConnection
    {
        get => Get<int>(nameof(ConnectorOptions.MaxGroupsPerConnection));
        set => Set(nameof(ConnectorOptions.MaxGroupsPerConnection), value);
    }

    /// <summary>The sustained rate of requests one connection may send.</summary>
    public double? MaxMessagesPerSecond
    {
        get => Get<double>(nameof(ConnectorOptions.MaxMessagesPerSecond));
        set => Set(nameof(ConnectorOptions.MaxMessagesPerSecond), value);
    }

    /// <summary>The requests one connection may send in a burst.</summary>
    public int? MessageBurst
    {
        get => Get<int>(nameof(ConnectorOptions.MessageBurst));
        set => Set(nameof(ConnectorOptions.MessageBurst), value);
    }

    /// <summary>Requests over the limit after which a connection is closed.</summary>
    public int? RateLimitDisconnectAfter
    {
        get => Get<int>(nameof(ConnectorOptions.RateLimitDisconnectAfter));
        set => Set(nameof(ConnectorOptions.RateLimitDisconnectAfter), value);
    }

    /// <summary>Requests on their way to Kafka before the connector stops reading from clients.</summary>
    public int? MaxPendingProduces
    {
        get => Get<int>(nameof(ConnectorOptions.MaxPendingProduces));
        set => Set(nameof(ConnectorOptions.MaxPendingProduces), value);
    }

    /// <summary>Requests awaiting their outcome across the process before more are refused as busy.</summary>
    public int? MaxAwaitedOutcomes
    {
        get => Get<int>(nameof(ConnectorOptions.MaxAwaitedOutcomes));
        set => Set(nameof(ConnectorOptions.MaxAwaitedOutcomes), value);
    }

    /// <summary>How long a request may wait for room on its way to Kafka.</summary>
    public TimeSpan? InboundBackpressureTimeout
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.InboundBackpressureTimeout));
        set => Set(nameof(ConnectorOptions.InboundBackpressureTimeout), value);
    }

    /// <summary>Messages kept per reliable connection for its recovery.</summary>
    public int? ReliableBufferMessages
    {
        get => Get<int>(nameof(ConnectorOptions.ReliableBufferMessages));
        set => Set(nameof(ConnectorOptions.ReliableBufferMessages), value);
    }

    /// <summary>Messages kept per room for recovery on another connector.</summary>
    public int? RoomHistoryMessages
    {
        get => Get<int>(nameof(ConnectorOptions.RoomHistoryMessages));
        set => Set(nameof(ConnectorOptions.RoomHistoryMessages), value);
    }

    /// <summary>Messages a client may ask a room's history for.</summary>
    public int? HistoryMaxMessages
    {
        get => Get<int>(nameof(ConnectorOptions.HistoryMaxMessages));
        set => Set(nameof(ConnectorOptions.HistoryMaxMessages), value);
    }

    /// <summary>How often a connector announces the members it holds.</summary>
    public TimeSpan? PresenceBeaconInterval
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.PresenceBeaconInterval));
        set => Set(nameof(ConnectorOptions.PresenceBeaconInterval), value);
    }

    /// <summary>How long a member stays listed without a beacon.</summary>
    public TimeSpan? PresenceExpiry
    {
        get => Get<TimeSpan>(nameof(ConnectorOptions.PresenceExpiry));
        set => Set(nameof(ConnectorOptions.PresenceExpiry), value);
    }
}
