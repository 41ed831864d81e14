using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Moderation;

/// <summary>Log messages of moderation. Event ids 370–379 (within the functions' 300–399) are reserved for it.</summary>
internal static partial class ModerationLog
{
    [LoggerMessage(370, LogLevel.Debug, "Request of connection {ConnectionId} in hub {Hub} rejected by rule {Rule}: {Reason}", EventName = "RequestRejected")]
    public static partial void Rejected(ILogger logger, string connectionId, string hub, string rule, string reason);

    [LoggerMessage(371, LogLevel.Warning, "More than {MaxTrackedSenders} senders are active at once; the least recently seen ones start over with a full burst. Raise Functions:Moderation:MaxTrackedSenders if this repeats.", EventName = "SenderCapReached")]
    public static partial void SenderCapReached(ILogger logger, int maxTrackedSenders);

    [LoggerMessage(372, LogLevel.Information, "Moderation rules in order: {Rules}; hubs with their own settings: [{Hubs}].", EventName = "RulesLoaded")]
    public static partial void RulesLoaded(ILogger logger, string rules, string hubs);
}
