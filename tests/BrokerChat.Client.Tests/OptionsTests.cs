
namespace BrokerChat.Client.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void DefaultsMatchTheJavaScriptClient()
    {
        var options = new BrokerChatClientOptions();

        Assert.Equal(BrokerChatProtocol.JsonReliable, options.Protocol);
        Assert.True(options.AutoReconnect);
        Assert.True(options.AutoRejoinGroups);
        Assert.Equal(TimeSpan.FromSeconds(20), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(120), options.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.SequenceAckInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RecoveryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReconnectDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxReconnectDelay);
        Assert.Equal(3, options.MaxResendAttempts);
        Assert.Equal(TimeSpan.FromSeconds(60), options.InvokeTimeout);
        Assert.Equal(1000, options.MaxPendingInvocations);
        Assert.Same(TimeProvider.System, options.TimeProvider);
    }

    [Fact]
    public void NonsenseValuesAreRefused()
    {
        var options = new BrokerChatClientOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.KeepAliveInterval = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.RecoveryTimeout = TimeSpan.FromSeconds(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxResendAttempts = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MessageBufferCapacity = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.InvokeTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.InvokeTimeout = TimeSpan.FromDays(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxPendingInvocations = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.Protocol = (BrokerChatProtocol)42);
        Assert.Throws<ArgumentNullException>(() => options.TimeProvider = null!);
        Assert.Throws<ArgumentException>(() => new BrokerChatClient(new Uri("ws://h/client/hubs/c"), new BrokerChatClientOptions { KeepAliveTimeout = TimeSpan.FromSeconds(10) }));
    }

    [Fact]
    public async Task InvalidDataIsRefusedBeforeAnythingIsSent()
    {
        await using var client = new BrokerChatClient(new Uri("ws://127.0.0.1:1/client/hubs/c"));

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendToGroupAsync("g", "{not json"u8.ToArray(), WebPubSubDataType.Json, cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendToGroupAsync("g", new byte[] { 0xFF }, WebPubSubDataType.Text, cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => client.JoinGroupAsync(" ", cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InvokeAsync("e", "{not json"u8.ToArray(), WebPubSubDataType.Json, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InvokeAsync("", "x"u8.ToArray(), WebPubSubDataType.Text, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.InvokeAsync("e", "x"u8.ToArray(), WebPubSubDataType.Text, TimeSpan.Zero, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ReconnectDelaysStayBetweenTheMinimumAndTheMaximum()
    {
        var client = new BrokerChatClient(new Uri("ws://h/client/hubs/c"), new BrokerChatClientOptions { ReconnectDelay = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromSeconds(30) });
        var delay = TimeSpan.FromSeconds(1);
        for (var i = 0; i < 100; i++)
        {
            delay = client.NextReconnectDelay(delay);
            Assert.InRange(delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        }
    }
}
