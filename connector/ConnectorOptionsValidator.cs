using Microsoft.Extensions.Options;

namespace BrokerChat.Connector;

/// <summary>Checks the rules of <see cref="ConnectorOptions"/> that data annotations cannot express, at startup.</summary>
internal sealed class ConnectorOptionsValidator : IValidateOptions<ConnectorOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectorOptions options)
    {
        var failures = new List<string>();
        if (options.AckTimeout <= TimeSpan.Zero)
        {
            failures.Add("Connector:AckTimeout must be positive.");
        }

        if (options.CloseTimeout <= TimeSpan.Zero)
        {
            failures.Add("Connector:CloseTimeout must be positive.");
        }

        foreach (var (key, value) in new[]
        {
            (nameof(options.InvokeTimeout), options.InvokeTimeout),
            (nameof(options.ConnectTimeout), options.ConnectTimeout),
            (nameof(options.KeepAliveInterval), options.KeepAliveInterval),
            (nameof(options.ClientTimeout), options.ClientTimeout),
            (nameof(options.HandshakeTimeout), options.HandshakeTimeout),
            (nameof(options.InboundBackpressureTimeout), options.InboundBackpressureTimeout),
            (nameof(options.ShutdownTimeout), options.ShutdownTimeout),
            (nameof(options.SessionRetention), options.SessionRetention),
            (nameof(options.RoomHistoryAge), options.RoomHistoryAge),
            (nameof(options.ReconnectionTokenLifetime), options.ReconnectionTokenLifetime),
            (nameof(options.ReconnectionTokenRefreshInterval), options.ReconnectionTokenRefreshInterval),
            (nameof(options.RecoveryCatchUpTimeout), options.RecoveryCatchUpTimeout),
            (nameof(options.EndedSessionRetention), options.EndedSessionRetention),
            (nameof(options.PresenceBeaconInterval), options.PresenceBeaconInterval),
            (nameof(options.PresenceExpiry), options.PresenceExpiry),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Connector:{key} must be positive.");
            }
        }

        if (options.KeepAliveInterval >= options.ClientTimeout)
        {
            failures.Add("Connector:KeepAliveInterval must be shorter than Connector:ClientTimeout.");
        }

        if (options.SessionRetention < TimeSpan.FromSeconds(30))
        {
            failures.Add("Connector:SessionRetention must be at least 30 s: Web PubSub clients try to recover for 30 s.");
        }

        if (options.ReconnectionTokenLifetime < options.SessionRetention)
        {
            failures.Add("Connector:ReconnectionTokenLifetime must be at least Connector:SessionRetention.");
        }

        if (options.PresenceExpiry < options.PresenceBeaconInterval * 2)
        {
            failures.Add("Connector:PresenceExpiry must be at least twice Connector:PresenceBeaconInterval, or one late beacon would make a live connector look dead.");
        }

        if (options.KafkaLossTimeout != TimeSpan.Zero && options.KafkaLossTimeout < options.PresenceBeaconInterval * 2)
        {
            failures.Add("Connector:KafkaLossTimeout must be zero (off) or at least twice Connector:PresenceBeaconInterval, or one late beacon would cut this connector's clients off.");
        }

        if (options.PresenceExpiry > TimeSpan.FromHours(1))
        {
            failures.Add("Connector:PresenceExpiry must be at most 1 hour.");
        }

        if (options.PresenceMaxMembersPerRoom > options.PresenceMaxMembers)
        {
            failures.Add("Connector:PresenceMaxMembersPerRoom must not exceed Connector:PresenceMaxMembers.");
        }

        if (options.OutboundQueueBytes < options.MaxMessageBytes)
        {
            failures.Add("Connector:OutboundQueueBytes must be at least Connector:MaxMessageBytes, or a single large message would disconnect its recipients.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
