using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs;

/// <summary>What <see cref="BrokerChatHub.OnPublishAsync"/> decided about a group message: deliver it, deliver a rewrite, or refuse it.</summary>
public sealed record PublishDecision
{
    private static readonly PublishDecision Accepted = new();

    private PublishDecision()
    {
    }

    /// <summary>The payload to deliver instead of the sender's, or null to deliver it as sent.</summary>
    public MessageData? Rewritten { get; private init; }

    /// <summary>The refusal the sender gets, or null when the message is delivered.</summary>
    public Rejection? Rejection { get; private init; }

    /// <summary>Delivers the message as sent.</summary>
    public static PublishDecision Accept() => Accepted;

    /// <summary>Delivers <paramref name="data"/> in place of the sender's payload.</summary>
    public static PublishDecision Rewrite(MessageData data) => new() { Rewritten = data };

    /// <summary>Refuses the message: nothing is delivered and the sender's ack fails with <paramref name="name"/> and <paramref name="reason"/>.</summary>
    public static PublishDecision Reject(string reason, string name = AckErrorNames.Forbidden) => new() { Rejection = new Rejection(name, reason) };
}
