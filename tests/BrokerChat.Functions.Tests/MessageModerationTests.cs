using System.Diagnostics.Metrics;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Moderation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

public sealed class MessageModerationTests
{
    [Fact]
    public void PayloadOverTheHubLimitIsABadRequestNamingTheSizeRule()
    {
        var moderation = Moderation(o => o.Hubs["chat"] = new HubModerationOptions { MaxPayloadBytes = 10 });

        var rejection = moderation.Check(Text("eleven char"));

        Assert.Equal(AckErrorNames.BadRequest, rejection?.Name);
        Assert.Equal("Rejected by rule 'size': The message of 11 bytes exceeds this hub's limit of 10 bytes.", rejection?.Message);
        Assert.Null(moderation.Check(Text("ten chars!")));
        Assert.Null(moderation.Check(Text("eleven char", hub: "other")));
    }

    [Theory]
    [InlineData("you darn fool", "darn")]
    [InlineData("DARN.", "DARN")]
    [InlineData("(Darn)", "Darn")]
    [InlineData("привет, мир", "привет")]
    public void BlockedWordInTextIsForbiddenWhateverItsCase(string text, string found)
    {
        var moderation = Moderation(o => o.BlockedWords = ["darn", "Привет"]);

        var rejection = moderation.Check(Text(text));

        Assert.Equal(AckErrorNames.Forbidden, rejection?.Name);
        Assert.Equal($"Rejected by rule 'blocked-words': The message contains the blocked word '{found}'.", rejection?.Message);
    }

    [Theory]
    [InlineData("darned it")]
    [InlineData("undarn")]
    [InlineData("darn_it")]
    [InlineData("darn2")]
    [InlineData("приветик")]
    [InlineData("")]
    public void BlockedWordInsideALongerWordDoesNotMatch(string text)
    {
        var moderation = Moderation(o => o.BlockedWords = ["darn", "привет"]);

        Assert.Null(moderation.Check(Text(text)));
    }

    [Fact]
    public void BlockedWordInAJsonStringValueIsFoundEvenWhenEscaped()
    {
        var moderation = Moderation(o => o.BlockedWords = ["darn"]);

        Assert.NotNull(moderation.Check(Json("""{"a":[1,{"text":"oh \u0064arn"}]}""")));
        Assert.NotNull(moderation.Check(Json("\"darn\"")));
    }

    [Fact]
    public void JsonPropertyNamesNumbersAndBinaryPayloadsAreNotScannedForWords()
    {
        var moderation = Moderation(o => o.BlockedWords = ["darn", "true", "1"]);

        Assert.Null(moderation.Check(Json("""{"darn":1,"b":true,"c":null}""")));
        var binary = Text("darn");
        binary.DataType = DataType.Binary;
        Assert.Null(moderation.Check(binary));
    }

    [Fact]
    public void HubBlockedWordsReplaceTheDefaultList()
    {
        var moderation = Moderation(o =>
        {
            o.BlockedWords = ["darn"];
            o.Hubs["kids"] = new HubModerationOptions { BlockedWords = ["heck"] };
        });

        Assert.NotNull(moderation.Check(Text("heck", hub: "kids")));
        Assert.Null(moderation.Check(Text("darn", hub: "kids")));
        Assert.NotNull(moderation.Check(Text("darn", hub: "chat")));
        Assert.Null(moderation.Check(Text("heck", hub: "chat")));
    }

    [Theory]
    [InlineData("see http://x.io/a", "x.io")]
    [InlineData("HTTPS://Example.COM", "example.com")]
    [InlineData("go to www.example.org now", "www.example.org")]
    [InlineData("visit example.com/path?q=1.", "example.com")]
    [InlineData("short: bit.ly/abc", "bit.ly")]
    [InlineData("(example.net)", "example.net")]
    [InlineData("ftp://files.example.net:21/x", "files.example.net")]
    [InlineData("see:https://evil.com", "evil.com")]
    [InlineData("https://user:pw@evil.com/", "evil.com")]
    public void EveryKindOfLinkIsForbiddenWhenTheHubBlocksLinks(string text, string host)
    {
        var moderation = Moderation(o => o.Links = LinkPolicy.Block);

        var rejection = moderation.Check(Text(text));

        Assert.Equal(AckErrorNames.Forbidden, rejection?.Name);
        Assert.Equal($"Rejected by rule 'links': Links are not allowed in this hub (found a link to '{host}').", rejection?.Message);
    }

    [Theory]
    [InlineData("e.g. this one")]
    [InlineData("open file.txt or readme.md")]
    [InlineData("version 1.2.3 and pi is 3.14")]
    [InlineData("mail alice@example.com")]
    [InlineData("set user.name and user.id")]
    [InlineData("the end.Next sentence")]
    [InlineData("a...b")]
    public void TextThatOnlyLooksLikeALinkPassesWhenTheHubBlocksLinks(string text)
    {
        var moderation = Moderation(o => o.Links = LinkPolicy.Block);

        Assert.Null(moderation.Check(Text(text)));
    }

    [Theory]
    [InlineData("https://example.com/x", true)]
    [InlineData("www.example.com", true)]
    [InlineData("see docs.Example.com.", true)]
    [InlineData("https://chat.example.org:8443/", true)]
    [InlineData("notexample.com", false)]
    [InlineData("example.com.evil.io", false)]
    [InlineData("https://example.com@evil.io/", false)]
    [InlineData("http://", false)]
    public void AllowListedHubAllowsLinksToListedDomainsAndTheirSubdomainsOnly(string text, bool allowed)
    {
        var moderation = Moderation(o =>
        {
            o.Links = LinkPolicy.AllowListed;
            o.AllowedLinkDomains = ["example.com", "*.example.org"];
        });

        var rejection = moderation.Check(Text(text));

        Assert.Equal(allowed, rejection is null);
        if (!allowed)
        {
            Assert.StartsWith("Rejected by rule 'links': Links to '", rejection!.Value.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LinksAreFoundInJsonStringValuesOnlyAndAllowedByDefault()
    {
        var blocking = Moderation(o => o.Links = LinkPolicy.Block);

        Assert.NotNull(blocking.Check(Json("""{"msg":"look at www.example.com"}""")));
        Assert.Null(blocking.Check(Json("""{"www.example.com":1}""")));
        Assert.Null(Moderation().Check(Text("https://example.com")));
    }

    [Fact]
    public void SenderGetsItsBurstThenTooManyRequestsNamingTheRateLimitRuleUntilItsAllowanceRefills()
    {
        var clock = new FakeTimeProvider();
        var moderation = Moderation(o => (o.MessagesPerSecond, o.MessageBurst) = (10, 3), clock);

        Assert.All(Enumerable.Range(0, 3), _ => Assert.Null(moderation.Check(Text("hi"))));
        var rejection = moderation.Check(Text("hi"));

        Assert.Equal(AckErrorNames.TooManyRequests, rejection?.Name);
        Assert.Equal("Rejected by rule 'rate-limit': More than 10 messages per second (burst 3) from this sender to this group; slow down.", rejection?.Message);
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.NotNull(moderation.Check(Text("hi"))); // half a token back
        clock.Advance(TimeSpan.FromMilliseconds(60));
        Assert.Null(moderation.Check(Text("hi")));
        Assert.NotNull(moderation.Check(Text("hi")));
    }

    [Fact]
    public void RoomsUsersAndAnonymousConnectionsEachHaveTheirOwnAllowance()
    {
        var moderation = Moderation(o => (o.MessagesPerSecond, o.MessageBurst) = (1, 1), new FakeTimeProvider());
        Assert.Null(moderation.Check(Text("hi")));
        Assert.NotNull(moderation.Check(Text("hi")));

        var otherRoom = Text("hi");
        otherRoom.Group = "elsewhere";
        var otherUser = Text("hi");
        otherUser.UserId = "bob";
        var anonymousNamedLikeTheUser = Text("hi");
        (anonymousNamedLikeTheUser.UserId, anonymousNamedLikeTheUser.ConnectionId) = (null, "alice");
        var sameUserOtherConnection = Text("hi");
        sameUserOtherConnection.ConnectionId = "conn-2";

        Assert.Null(moderation.Check(otherRoom));
        Assert.Null(moderation.Check(otherUser));
        Assert.Null(moderation.Check(anonymousNamedLikeTheUser));
        Assert.NotNull(moderation.Check(sameUserOtherConnection));
        Assert.Null(moderation.Check(Text("hi", hub: "other")));
    }

    [Fact]
    public void ZeroRateTurnsTheRateLimitOff()
    {
        var moderation = Moderation(o => (o.MessagesPerSecond, o.MessageBurst) = (0, 1), new FakeTimeProvider());

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Null(moderation.Check(Text("hi"))));
        Assert.Equal(0, moderation.TrackedSenders);
    }

    [Fact]
    public void FirstRuleToRejectWinsInTheDocumentedOrder()
    {
        var moderation = Moderation(o =>
        {
            o.MaxPayloadBytes = 4;
            o.BlockedWords = ["darn"];
            o.Links = LinkPolicy.Block;
        });

        Assert.Equal(new[] { "rate-limit", "size", "blocked-words", "links" }, moderation.Rules.Select(r => r.Name));
        Assert.Contains("'size'", moderation.Check(Text("darn example.com"))?.Message, StringComparison.Ordinal);
        Assert.Contains("'blocked-words'", Moderation(o => (o.BlockedWords, o.Links) = (["darn"], LinkPolicy.Block)).Check(Text("darn example.com"))?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplicationRuleRegisteredInDiRunsAfterTheBuiltInOnesAndNamesItself()
    {
        using var services = Services(new() { ["Functions:Moderation:MessagesPerSecond"] = "0" }, s => s.AddSingleton<IMessageRule, NoShoutingRule>());
        var function = services.GetRequiredService<ChatFunction>();

        var shouted = function.Handle(Text("HELLO ALL"), new InboundPosition(0, 1));
        var spoken = function.Handle(Text("hello all"), new InboundPosition(0, 2));

        Assert.Equal("no-shouting", services.GetRequiredService<MessageModeration>().Rules[^1].Name);
        var ack = Assert.Single(shouted).Ack!;
        Assert.Equal((false, AckErrorNames.Forbidden, "Rejected by rule 'no-shouting': Please do not shout."), (ack.Success, ack.ErrorName, ack.ErrorMessage));
        Assert.True(Assert.Single(spoken).HasMessage);
    }

    [Fact]
    public void RulesWithInvalidOrDuplicateNamesAreRefused()
    {
        Assert.Throws<InvalidOperationException>(() => Moderation(rules: [new NamedRule("Bad Name")]));
        Assert.Throws<InvalidOperationException>(() => Moderation(rules: [new NamedRule("links")]));
    }

    [Fact]
    public void RejectedFireAndForgetRequestIsDroppedSilentlyAndCounted()
    {
        using var services = Services(new() { ["Functions:Moderation:BlockedWords:0"] = "darn" });
        var counts = new List<(long Value, string Rule, string Answer)>();
        var meter = services.GetRequiredService<ModerationMetrics>().Meter;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "brokerchat.functions.moderation.rejections")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            counts.Add((value, (string)tags.ToArray().Single(t => t.Key == "rule").Value!, (string)tags.ToArray().Single(t => t.Key == "answer").Value!)));
        listener.Start();
        var function = services.GetRequiredService<ChatFunction>();
        var fireAndForget = Text("darn");
        fireAndForget.AckId = null;

        Assert.Empty(function.Handle(fireAndForget, default));
        Assert.False(Assert.Single(function.Handle(Text("darn"), default)).Ack!.Success);
        Assert.Equal(new[] { (1L, "blocked-words", "dropped"), (1L, "blocked-words", "ack") }, counts);
    }

    [Fact]
    public void HubSettingsBindFromConfigurationOverTheDefaults()
    {
        using var services = Services(new()
        {
            ["Functions:Moderation:MessageBurst"] = "7",
            ["Functions:Moderation:BlockedWords:0"] = "darn",
            ["Functions:Hubs:Kids:Links"] = "AllowListed",
            ["Functions:Hubs:Kids:AllowedLinkDomains:0"] = "Example.com.",
            ["Functions:Hubs:Kids:MaxPayloadBytes"] = "100",
        });
        var moderation = services.GetRequiredService<MessageModeration>();

        var kids = moderation.PolicyFor("kids");
        var other = moderation.PolicyFor("chat");

        Assert.Equal(("Kids", 100, LinkPolicy.AllowListed, 7, 10d), (kids.Hub, kids.MaxPayloadBytes, kids.Links, kids.MessageBurst, kids.MessagesPerSecond));
        Assert.Equal(new[] { "example.com" }, kids.AllowedLinkDomains);
        Assert.Equal(new[] { "darn" }, kids.BlockedWords);
        Assert.Equal((null, null, LinkPolicy.Allow), (other.Hub, other.MaxPayloadBytes, other.Links));
    }

    [Fact]
    public void InvalidSettingsAreReportedAtStartupWithTheirKeys()
    {
        using var services = Services(new()
        {
            ["Functions:Moderation:BlockedWords:0"] = "two words",
            ["Functions:Moderation:MessageBurst"] = "0",
            ["Functions:Hubs:kids:Links"] = "AllowListed",
            ["Functions:Hubs:kids:MaxPayloadBytes"] = "0",
            ["Functions:Hubs:1bad:Links"] = "Block",
            ["Functions:Hubs:ok:AllowedLinkDomains:0"] = "not a domain",
        });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ModerationOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Moderation:BlockedWords: 'two words'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Moderation: The field MessageBurst", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Hubs:kids:Links is AllowListed", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Hubs:kids: The field MaxPayloadBytes", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Hubs:1bad: '1bad' is not a valid hub name", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Functions:Hubs:ok:AllowedLinkDomains: 'not a domain'", StringComparison.Ordinal));
    }

    private static MessageModeration Moderation(Action<ModerationOptions>? configure = null, TimeProvider? clock = null, IMessageRule[]? rules = null)
    {
        var options = new ModerationOptions { MessagesPerSecond = 0 };
        configure?.Invoke(options);
        return new MessageModeration(Options.Create(options), rules ?? [], clock ?? new FakeTimeProvider());
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddBrokerChatFunction(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    internal static InboundFrame Text(string text, string hub = "chat")
    {
        var frame = ChatFunctionTests.Frame();
        frame.Hub = hub;
        frame.DataType = DataType.Text;
        frame.Payload = Encoding.UTF8.GetBytes(text);
        return frame;
    }

    private static InboundFrame Json(string json)
    {
        var frame = Text(json);
        frame.DataType = DataType.Json;
        return frame;
    }
}
