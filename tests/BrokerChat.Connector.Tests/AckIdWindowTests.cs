using BrokerChat.Connector.Connections;

namespace BrokerChat.Connector.Tests;

public sealed class AckIdWindowTests
{
    [Fact]
    public void RecordedIdsAreRememberedAndOthersAreNot()
    {
        var window = new AckIdWindow();
        foreach (var id in new ulong[] { 1, 2, 5, 4 })
        {
            window.Add(id);
        }

        Assert.Equal([true, true, false, true, true, false], new ulong[] { 1, 2, 3, 4, 5, 6 }.Select(window.Contains));
    }

    [Fact]
    public void IdsFallOutOnceTheWindowHasMovedPastThem()
    {
        var window = new AckIdWindow();
        window.Add(10);
        window.Add(10 + AckIdWindow.Size - 1);
        Assert.True(window.Contains(10));

        window.Add(10 + AckIdWindow.Size);

        Assert.False(window.Contains(10));
        Assert.True(window.Contains(10 + AckIdWindow.Size));
        window.Add(10); // too old to record now
        Assert.False(window.Contains(10));
    }

    [Fact]
    public void SlotsReusedByNewerIdsDoNotReportThemAsSeen()
    {
        var window = new AckIdWindow();
        window.Add(7);
        window.Add(2000); // slot of 7 + 1024 = 1031 was cleared on the way

        Assert.False(window.Contains(1031));
        Assert.False(window.Contains(7));
        window.Add(50_000); // far ahead: everything is forgotten at once
        Assert.False(window.Contains(2000));
        Assert.True(window.Contains(50_000));
    }
}
