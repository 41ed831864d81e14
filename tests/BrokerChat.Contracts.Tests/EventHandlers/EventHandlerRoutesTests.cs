using BrokerChat.EventHandlers;
using Microsoft.Extensions.Options;

namespace BrokerChat.Contracts.Tests.EventHandlers;

public sealed class EventHandlerRoutesTests
{
    [Fact]
    public void TheFirstHandlerThatTakesAnEventWinsAsInAzure()
    {
        var routes = Routes(("chat", "http://a/{event}", "message", []), ("chat", "http://b/{event}", "*", ["connect", "connected"]), ("chat", "http://c/{event}", "*", ["connect"]));

        Assert.Equal("http://a/message", routes.Find("chat", WebPubSubEventKind.User, "message")!.Value.Url.ToString());
        Assert.Equal("http://b/typing", routes.Find("chat", WebPubSubEventKind.User, "typing")!.Value.Url.ToString());
        Assert.Equal(1, routes.Find("chat", WebPubSubEventKind.Connect)!.Value.Handler.Index);
        Assert.Equal("http://b/connected", routes.Find("chat", WebPubSubEventKind.Connected)!.Value.Url.ToString());
        Assert.Null(routes.Find("chat", WebPubSubEventKind.Disconnected));
        Assert.Null(routes.Find("other", WebPubSubEventKind.Connect));
    }

    [Fact]
    public void AUserEventPatternIsStarOrACommaListOfExactNames()
    {
        var routes = Routes(("chat", "http://a/{hub}/{event}", " message , typing ", []));

        Assert.NotNull(routes.Find("chat", WebPubSubEventKind.User, "message"));
        Assert.NotNull(routes.Find("chat", WebPubSubEventKind.User, "typing"));
        Assert.Null(routes.Find("chat", WebPubSubEventKind.User, "Message")); // user event names are case-sensitive
        Assert.Null(routes.Find("chat", WebPubSubEventKind.User, "other"));
        Assert.True(routes.Handles("chat", WebPubSubEventKind.User));
        Assert.False(routes.Handles("chat", WebPubSubEventKind.Connect));
    }

    [Fact]
    public void SystemEventsAndHubNamesMatchWhateverTheirCase()
    {
        var routes = Routes(("Chat", "http://a/{event}", null, ["CONNECT", " Disconnected "]));

        Assert.Equal(["chat"], routes.Hubs);
        Assert.NotNull(routes.Find("chat", WebPubSubEventKind.Connect));
        Assert.NotNull(routes.Find("CHAT", WebPubSubEventKind.Disconnected));
        Assert.Null(routes.Find("chat", WebPubSubEventKind.User, "message"));
    }

    [Fact]
    public void ThePlaceholdersAreFilledEscapedAndTheCheckGoesToTheValidateEvent()
    {
        var routes = Routes(("chat", "https://app.example/api/{HUB}/{Event}?code=k", "*", ["connect"]));

        var target = routes.Find("chat", WebPubSubEventKind.User, "a b/c")!.Value;

        Assert.Equal("https://app.example/api/chat/a%20b%2Fc?code=k", target.Url.AbsoluteUri);
        Assert.Equal("https://app.example/api/chat/validate?code=k", target.Handler.ValidationUrl.AbsoluteUri);
    }

    internal static EventHandlerRoutes Routes(params (string Hub, string Url, string? Pattern, string[] SystemEvents)[] handlers)
    {
        var options = new HubEventHandlerOptions();
        foreach (var (hub, url, pattern, systemEvents) in handlers)
        {
            if (!options.Hubs.TryGetValue(hub, out var settings))
            {
                options.Hubs[hub] = settings = new HubSettings();
            }

            settings.EventHandlers.Add(new EventHandlerSettings { UrlTemplate = url, UserEventPattern = pattern, SystemEvents = [.. systemEvents] });
        }

        return new EventHandlerRoutes(Options.Create(options));
    }
}
