namespace BrokerChat.Connector.Tests;

public sealed class PresenceOptionsTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.True(new ConnectorOptionsValidator().Validate(null, new ConnectorOptions()).Succeeded);

    [Fact]
    public void ExpiryMustSpanTwoBeaconsAndBothMustBePositive()
    {
        var tooShort = Validate(o => (o.PresenceBeaconInterval, o.PresenceExpiry) = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(9)));
        Assert.Contains(tooShort, f => f.Contains("PresenceExpiry must be at least twice", StringComparison.Ordinal));
        Assert.Contains(Validate(o => o.PresenceBeaconInterval = TimeSpan.Zero), f => f.Contains("PresenceBeaconInterval must be positive", StringComparison.Ordinal));
        Assert.Contains(Validate(o => o.PresenceExpiry = TimeSpan.FromHours(2)), f => f.Contains("at most 1 hour", StringComparison.Ordinal));
    }

    [Fact]
    public void RoomBoundMustFitTheTableBound() =>
        Assert.Contains(Validate(o => (o.PresenceMaxMembers, o.PresenceMaxMembersPerRoom) = (100, 1000)), f => f.Contains("PresenceMaxMembersPerRoom", StringComparison.Ordinal));

    private static IEnumerable<string> Validate(Action<ConnectorOptions> change)
    {
        var options = new ConnectorOptions();
        change(options);
        var result = new ConnectorOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        return result.Failures!;
    }
}
