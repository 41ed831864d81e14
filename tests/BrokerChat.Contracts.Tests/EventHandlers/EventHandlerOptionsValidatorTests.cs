using BrokerChat.EventHandlers;

namespace BrokerChat.Contracts.Tests.EventHandlers;

public sealed class EventHandlerOptionsValidatorTests
{
    [Fact]
    public void EachBadHandlerSettingIsNamedByItsKeyAndTheUrlIsNeverQuoted()
    {
        var options = new HubEventHandlerOptions();
        options.Hubs["chat"] = new HubSettings
        {
            EventHandlers =
            [
                new EventHandlerSettings { UrlTemplate = "ftp://secret-host/{event}", UserEventPattern = "*" },
                new EventHandlerSettings { UrlTemplate = "http://{event}.example/x", SystemEvents = ["connect"] },
                new EventHandlerSettings { UrlTemplate = "http://ok.example/{event}", SystemEvents = ["joined"], UserEventPattern = "message,,bad name" },
                new EventHandlerSettings { UrlTemplate = "http://ok.example/{event}" },
            ],
        };
        options.Hubs["9bad"] = new HubSettings { EventHandlers = [new EventHandlerSettings { UrlTemplate = "http://ok.example/", UserEventPattern = "*" }] };

        var result = new EventHandlerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Contains("Hubs:chat:EventHandlers:0:UrlTemplate must be an absolute http or https URL.", failures);
        Assert.Contains("Hubs:chat:EventHandlers:1:UrlTemplate may not have {event} in its host.", failures);
        Assert.Contains(failures, f => f.StartsWith("Hubs:chat:EventHandlers:2:SystemEvents: 'joined' is not one of connect, connected, disconnected", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Hubs:chat:EventHandlers:2:UserEventPattern: '' is not an event name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Hubs:chat:EventHandlers:2:UserEventPattern: 'bad name' is not an event name", StringComparison.Ordinal));
        Assert.Contains("Hubs:chat:EventHandlers:3 takes no event: give it a UserEventPattern, SystemEvents, or both.", failures);
        Assert.Contains("Hubs:9bad: '9bad' is not a valid hub name.", failures);
        Assert.DoesNotContain(failures, f => f.Contains("secret-host", StringComparison.Ordinal));
    }

    [Fact]
    public void TheClientLimitsAreCheckedWithTheirKeys()
    {
        var result = new EventHandlerOptionsValidator().Validate(null, new EventHandlerClientOptions
        {
            RequestTimeout = TimeSpan.Zero,
            MaxConcurrentRequests = 0,
            FailuresBeforeBreak = 0,
            BreakDuration = TimeSpan.Zero,
            ValidationLifetime = TimeSpan.Zero,
            MaxResponseBytes = 10,
            RequestOrigin = "has space",
        });

        Assert.Equal(
            [
                "EventHandlers:RequestTimeout must be positive.",
                "EventHandlers:MaxConcurrentRequests must be from 1 to 100000.",
                "EventHandlers:FailuresBeforeBreak must be at least 1.",
                "EventHandlers:BreakDuration must be positive.",
                "EventHandlers:ValidationLifetime must be positive.",
                "EventHandlers:MaxResponseBytes must be from 1024 to 67108864.",
                "EventHandlers:RequestOrigin must be a host name (printable ASCII without spaces).",
            ],
            result.Failures!);
        Assert.True(new EventHandlerOptionsValidator().Validate(null, new EventHandlerClientOptions()).Succeeded);
    }
}
