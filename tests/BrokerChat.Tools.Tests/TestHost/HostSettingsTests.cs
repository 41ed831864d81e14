using System.Collections;
using System.Reflection;
using BrokerChat.Connector;
using BrokerChat.Connector.Auth;
using BrokerChat.Functions;
using BrokerChat.Functions.Hosting.CustomHandler;
using BrokerChat.Functions.Moderation;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Microsoft.Extensions.Configuration;

namespace BrokerChat.Tools.Tests.TestHost;

/// <summary>
/// The typed settings the tests start hosts with write the keys the options classes are bound from, and the values
/// as the tests wrote them when they spelled out the keys.
/// </summary>
public sealed class HostSettingsTests
{
    [Fact]
    public void EveryTypedSettingReachesTheOptionsPropertyItIsNamedAfter()
    {
        var settings = new HostSettings();
        (HostSettingsSection Section, Type Options)[] sections =
        [
            (settings.Connector, typeof(ConnectorOptions)),
            (settings.Auth, typeof(AuthOptions)),
            (settings.Kafka, typeof(KafkaOptions)),
            (settings.Functions, typeof(FunctionsOptions)),
            (settings.Functions.CustomHandler, typeof(CustomHandlerOptions)),
            (settings.Functions.Moderation, typeof(ModerationOptions)),
            (settings.Functions.Moderation.Hubs["kids"], typeof(HubModerationOptions)),
        ];
        var samples = new List<(HostSettingsSection Section, Type Options, PropertyInfo Setting, object Sample)>();
        foreach (var (section, options) in sections)
        {
            foreach (var setting in Settable(section))
            {
                var sample = Sample(Nullable.GetUnderlyingType(setting.PropertyType) ?? setting.PropertyType, setting.Name, options.GetProperty(setting.Name)?.GetValue(Activator.CreateInstance(options)));
                setting.SetValue(section, sample);
                samples.Add((section, options, setting, sample));
            }
        }

        var configuration = settings.BuildConfiguration();

        Assert.True(samples.Count >= 40, $"only {samples.Count} typed settings found");
        foreach (var (section, options, setting, sample) in samples)
        {
            var property = options.GetProperty(setting.Name);
            Assert.True(property is not null, $"{options.Name} has no property {setting.Name}");
            Assert.NotEqual(Normalized(sample), Normalized(property.GetValue(Activator.CreateInstance(options))));
            var bound = configuration.GetSection(section.Name).Get(options) ?? Activator.CreateInstance(options);
            Assert.Equal(Normalized(sample), Normalized(property.GetValue(bound)));
            Assert.Equal(Normalized(sample), Normalized(setting.GetValue(section))); // and reads back
        }
    }

    [Fact]
    public void ConfigurationIsTheKeysAndTextTheTestsSpelledOutBefore()
    {
        var settings = new HostSettings
        {
            Urls = "http://127.0.0.1:5000",
            DefaultLogLevel = "Trace",
            Connector = { HandshakeTimeout = TimeSpan.FromSeconds(1), AckTimeout = TimeSpan.FromMinutes(1), MaxMessagesPerSecond = 0.5, MaxMessageBytes = 65536 },
            Auth = { AccessKeys = ["one", "two"], EnableNegotiate = true },
            Kafka = { FetchWaitMaxMs = 10, Partitions = 2 },
            Functions =
            {
                InProcessWorkers = 0,
                RetryDelay = TimeSpan.FromMilliseconds(10),
                Moderation = { MessagesPerSecond = 0, Hubs = { ["kids"] = { Links = LinkPolicy.Block, BlockedWords = ["darn"], MessagesPerSecond = 0.001 } } },
                CustomHandler = { Port = 0 },
            },
            ["Kestrel:EndpointDefaults:Protocols"] = "Http2",
        };

        Assert.Equal(
            Sorted(new Dictionary<string, string>
            {
                ["urls"] = "http://127.0.0.1:5000",
                ["Logging:LogLevel:Default"] = "Trace",
                ["Connector:HandshakeTimeout"] = "00:00:01",
                ["Connector:AckTimeout"] = "00:01:00",
                ["Connector:MaxMessagesPerSecond"] = "0.5",
                ["Connector:MaxMessageBytes"] = "65536",
                ["Auth:AccessKeys:0"] = "one",
                ["Auth:AccessKeys:1"] = "two",
                ["Auth:EnableNegotiate"] = "true",
                ["Kafka:FetchWaitMaxMs"] = "10",
                ["Kafka:Partitions"] = "2",
                ["Functions:InProcessWorkers"] = "0",
                ["Functions:RetryDelay"] = "00:00:00.0100000",
                ["Functions:Moderation:MessagesPerSecond"] = "0",
                ["Functions:Hubs:kids:Links"] = "Block",
                ["Functions:Hubs:kids:BlockedWords:0"] = "darn",
                ["Functions:Hubs:kids:MessagesPerSecond"] = "0.001",
                ["Functions:CustomHandler:Port"] = "0",
                ["Kestrel:EndpointDefaults:Protocols"] = "Http2",
            }),
            Sorted(settings.ToConfiguration()));
        Assert.Contains("--Functions:InProcessWorkers=0", settings.ToArgs());
        Assert.Contains("--Auth:AccessKeys:1=two", settings.ToArgs());
    }

    [Fact]
    public void WithoutRateLimitsLiftsTheLimitsTheSettingsLeaveUnset()
    {
        var lifted = new HostSettings().WithoutRateLimits();
        var kept = new HostSettings { Connector = { MessageBurst = 10 }, Functions = { Moderation = { MessagesPerSecond = 2 } } }.WithoutRateLimits();

        Assert.Equal(
            Sorted(new Dictionary<string, string>
            {
                ["Connector:MaxMessagesPerSecond"] = "100000",
                ["Connector:MessageBurst"] = "100000",
                ["Functions:Moderation:MessagesPerSecond"] = "0",
            }),
            Sorted(lifted.ToConfiguration()));
        Assert.Equal((100_000d, 10, 2d), (kept.Connector.MaxMessagesPerSecond, kept.Connector.MessageBurst, kept.Functions.Moderation.MessagesPerSecond));
    }

    [Fact]
    public void ListsReplaceTheirItemsNullRemovesAKeyAndCopiesAreIndependent()
    {
        var settings = new HostSettings { Auth = { AccessKeys = ["a", "b", "c"] }, Functions = { InProcessWorkers = 2 } };

        settings.Auth.AccessKeys = ["d"];
        settings.Functions.InProcessWorkers = null;
        var copy = settings.Clone();
        copy.Kafka.TopicPrefix = "x.";

        Assert.Equal(["--Auth:AccessKeys:0=d"], settings.ToArgs());
        Assert.Equal(["d"], settings.Auth.AccessKeys!);
        Assert.Null(settings.Kafka.TopicPrefix);
        Assert.Equal("x.", settings.Apply(copy).Kafka.TopicPrefix);
        Assert.Equal("x.", settings["kafka:topicprefix"]); // keys are case-insensitive, as in configuration
    }

    private static IEnumerable<PropertyInfo> Settable(HostSettingsSection section) =>
        section.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0);

    /// <summary>A value of <paramref name="type"/> that no options class has as its default (for a switch, the opposite of <paramref name="defaultValue"/>).</summary>
    private static object Sample(Type type, string name, object? defaultValue) => type switch
    {
        _ when type == typeof(int) => 4242,
        _ when type == typeof(double) => 42.5,
        _ when type == typeof(TimeSpan) => TimeSpan.FromMilliseconds(42_500),
        _ when type == typeof(bool) => defaultValue is not true,
        _ when type == typeof(string) => $"sample-{name}",
        _ when type == typeof(LinkPolicy) => LinkPolicy.AllowListed,
        _ when type == typeof(IReadOnlyList<string>) => new[] { $"first-{name}", $"second-{name}" },
        _ => throw new InvalidOperationException($"no sample for {type} ({name})"),
    };

    private static object? Normalized(object? value) => value is IEnumerable items and not string ? string.Join("|", items.Cast<object>()) : value;

    private static List<KeyValuePair<string, string>> Sorted(IEnumerable<KeyValuePair<string, string>> configuration) =>
        [.. configuration.OrderBy(pair => pair.Key, StringComparer.Ordinal)];
}
