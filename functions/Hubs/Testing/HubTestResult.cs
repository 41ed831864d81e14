using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs.Testing;

/// <summary>What handling one event made, for a test to assert on.</summary>
public sealed class HubTestResult
{
    internal HubTestResult(IReadOnlyList<Delivery> deliveries, IReadOnlyList<HubAction> actions)
    {
        Deliveries = deliveries;
        Actions = actions;
        foreach (var delivery in deliveries)
        {
            if (delivery.Command == DeliveryCommand.InvokeResponse)
            {
                Answered = delivery.ErrorName is null;
                Answer = delivery is { ErrorName: null, Payload: { } payload } ? MessageData.From(delivery.DataType, payload) : null;
                Error = delivery.ErrorName is { } name ? new Rejection(name, delivery.ErrorMessage ?? "") : Error;
            }

            if (delivery.Ack is { } ack)
            {
                Acknowledged = ack.Success;
                Error = ack.ErrorName is { } name ? new Rejection(name, ack.ErrorMessage ?? "") : Error;
            }
        }

        Published = deliveries.Count > 0 && deliveries[0] is { Target: DeliveryTarget.Group, HasMessage: true, Payload: { } message } first
            && actions.Count < deliveries.Count
            ? MessageData.From(first.DataType, message)
            : null;
    }

    /// <summary>The actions the handler took, in order.</summary>
    public IReadOnlyList<HubAction> Actions { get; }

    /// <summary>Every delivery published for the event: its answer or ack first, then one per action.</summary>
    public IReadOnlyList<Delivery> Deliveries { get; }

    /// <summary>For a request with an ack id: whether it was acknowledged as a success; null when no ack was made.</summary>
    public bool? Acknowledged { get; }

    /// <summary>For an invocation: whether it was answered with a result (possibly empty).</summary>
    public bool Answered { get; }

    /// <summary>For an invocation: the result, or null when it returned nothing or failed.</summary>
    public MessageData? Answer { get; }

    /// <summary>The error the caller got (an ack error or an invocation's error), or null.</summary>
    public Rejection? Error { get; }

    /// <summary>For a group message: what was delivered to the group (the sender's payload or a rewrite), or null when it was refused.</summary>
    public MessageData? Published { get; }
}
