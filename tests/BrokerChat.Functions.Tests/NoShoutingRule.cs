using System.Text;
using BrokerChat.Functions.Moderation;

namespace BrokerChat.Functions.Tests;

/// <summary>An application rule: refuses text that has letters and no lower-case one.</summary>
internal sealed class NoShoutingRule : IMessageRule
{
    public string Name => "no-shouting";

    public RuleRejection? Check(in MessageRuleContext context)
    {
        var text = Encoding.UTF8.GetString(context.Frame.Payload);
        return text.Any(char.IsLetter) && !text.Any(char.IsLower) ? RuleRejection.Forbidden("Please do not shout.") : null;
    }
}
