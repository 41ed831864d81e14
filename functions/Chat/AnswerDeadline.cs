using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>Whether a request's sender still waits for its outcome.</summary>
public static class AnswerDeadline
{
    /// <summary>
    /// True once the connector that accepted <paramref name="frame"/> has stopped waiting for its outcome and answered
    /// its sender <c>Timeout</c> (<see cref="InboundFrame.AnswerBy"/>, compared with this host's clock): handling it
    /// now would deliver a message its sender was told may not have gone, and spend work a backlog cannot afford.
    /// False for a request without a deadline.
    /// </summary>
    public static bool HasPassedAnswerBy(this InboundFrame frame, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return frame.AnswerBy > 0 && timeProvider.GetUtcNow().ToUnixTimeMilliseconds() > frame.AnswerBy;
    }
}
