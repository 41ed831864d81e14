namespace BrokerChat.Contracts.Topics;

/// <summary>Headers a connector may put on an inbound record. Values are UTF-8 text.</summary>
public static class InboundHeaders
{
    /// <summary>
    /// Marks a control record (<see cref="ControlCancel"/>) that a worker acts on as soon as it reads it, ahead of the
    /// records queued before it with the same key; such a record produces nothing.
    /// </summary>
    public const string Control = "brokerchat-control";

    /// <summary>The <see cref="Control"/> value of a <c>cancelInvocation</c>.</summary>
    public const string ControlCancel = "cancel";
}
