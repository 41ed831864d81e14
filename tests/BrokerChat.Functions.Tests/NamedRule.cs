using BrokerChat.Functions.Moderation;

namespace BrokerChat.Functions.Tests;

/// <summary>A rule that passes everything, under the name it is given.</summary>
internal sealed class NamedRule(string name) : IMessageRule
{
    public string Name => name;

    public RuleRejection? Check(in MessageRuleContext context) => null;
}
