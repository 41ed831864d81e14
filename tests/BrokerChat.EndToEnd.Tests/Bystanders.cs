using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Two members of a group, one sending and one receiving, for checking that an abuser next to them changed nothing.</summary>
internal sealed class Bystanders(WebPubSubTestClient sender, WebPubSubTestClient receiver, string group) : IAsyncDisposable
{
    public static async Task<Bystanders> StartAsync(BrokerChatHost host, string name, CancellationToken ct)
    {
        var group = "bystanders-" + name;
        var sender = await host.ConnectAsync(HostileClientTests.Hub(name), "sender", ct);
        var receiver = await host.ConnectAsync(HostileClientTests.Hub(name), "receiver", ct);
        Assert.True((await receiver.JoinGroupAsync(group, ct))!.Success);
        var bystanders = new Bystanders(sender, receiver, group);
        await bystanders.StillChatAsync(ct);
        return bystanders;
    }

    public async Task StillChatAsync(CancellationToken ct)
    {
        var text = Guid.NewGuid().ToString();
        Assert.True((await sender.SendToGroupAsync(group, text, cancellationToken: ct))!.Success);
        Assert.Equal(text, (string)(await receiver.NextMessageAsync(ct))["data"]!);
        Assert.False(sender.Closed.Task.IsCompleted || receiver.Closed.Task.IsCompleted);
    }

    public async ValueTask DisposeAsync()
    {
        await sender.DisposeAsync();
        await receiver.DisposeAsync();
    }
}
