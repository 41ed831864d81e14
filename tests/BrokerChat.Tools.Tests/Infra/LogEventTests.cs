using System.Reflection;
using BrokerChat.Connector;
using BrokerChat.Functions;
using BrokerChat.Kafka;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Tools.Tests.Infra;

/// <summary>Every log message is a source-generated method with an event id and name of its own, so dashboards and alerts can key on them.</summary>
public sealed class LogEventTests
{
    [Fact]
    public void EveryLogMessageHasAUniqueEventIdAndAName()
    {
        var messages = new[] { typeof(ConnectorOptions), typeof(FunctionsOptions), typeof(KafkaOptions), typeof(BrokerChat.Contracts.Topics.KafkaTopics) }
            .Select(t => t.Assembly)
            .Distinct()
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 50, $"only {messages.Count} log messages found");
        Assert.All(messages, m => Assert.True(m.Attribute!.EventId > 0 && !string.IsNullOrEmpty(m.Attribute.EventName), $"{m.Method} lacks an event id or name"));
        var shared = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }
}
