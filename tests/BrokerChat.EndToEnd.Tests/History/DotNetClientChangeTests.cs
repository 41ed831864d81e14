using System.Text;
using System.Threading.Channels;
using BrokerChat.Client;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>The .NET client library's edits, deletes and <c>MessageChanged</c> event, on both encodings, against real connectors.</summary>
public sealed class DotNetClientChangeTests(ChangesFixture fixture) : IClassFixture<ChangesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory(Timeout = 120_000)]
    [InlineData(BrokerChatProtocol.Json)]
    [InlineData(BrokerChatProtocol.MessagePackReliable)]
    public async Task TheClientEditsAndDeletesItsOwnMessageAndHearsOfEveryChangeButMayNotChangeAnothers(BrokerChatProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var group = "dotnet-" + protocol;
        await using var rosa = new BrokerChatClient(fixture.Second.ClientUrl("chat", "rosa"), new BrokerChatClientOptions { Protocol = protocol });
        var changes = Channel.CreateUnbounded<BrokerChatMessageChangedEventArgs>();
        rosa.MessageChanged += e => changes.Writer.WriteAsync(e, ct).AsTask();
        await rosa.StartAsync(ct).WaitAsync(Timeout, ct);
        await rosa.JoinGroupAsync(group, cancellationToken: ct).WaitAsync(Timeout, ct);
        await using var sam = await fixture.First.ConnectAsync("chat", "sam", ct).WaitAsync(Timeout, ct);
        await sam.JoinAndTakeHistoryAsync(group, cancellationToken: ct).WaitAsync(Timeout, ct);

        await rosa.SendToGroupAsync(group, "draft"u8.ToArray(), WebPubSubDataType.Text, cancellationToken: ct).WaitAsync(Timeout, ct);
        var id = await fixture.StoredIdAsync(group, "draft", ct);
        await rosa.EditMessageAsync(group, id, "final"u8.ToArray(), WebPubSubDataType.Text, cancellationToken: ct).WaitAsync(Timeout, ct);

        var edit = await changes.Reader.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal((group, id, BrokerChatMessageChangeKind.Edited, "rosa", (WebPubSubDataType?)WebPubSubDataType.Text), (edit.Group, edit.MessageId, edit.Change, edit.FromUserId, edit.DataType));
        Assert.Equal("final", Encoding.UTF8.GetString(edit.Data.Span));
        var heard = await sam.WaitForFrameAsync(f => MessageChangeTests.IsChange(f, id, "edited"), ct).WaitAsync(Timeout, ct);
        Assert.Equal("final", (string?)heard["data"]);

        // Someone else may not change it; the backend may, and the client hears of that too.
        await using var mallory = new BrokerChatClient(fixture.First.ClientUrl("chat", "mallory"), new BrokerChatClientOptions { Protocol = protocol });
        await mallory.StartAsync(ct).WaitAsync(Timeout, ct);
        var refused = await Assert.ThrowsAsync<SendMessageFailedException>(() => mallory.DeleteMessageAsync(group, id, cancellationToken: ct).WaitAsync(Timeout, ct));
        Assert.Equal("Forbidden", refused.ErrorName);
        var missing = await Assert.ThrowsAsync<SendMessageFailedException>(() => rosa.DeleteMessageAsync(group, "0-999999", cancellationToken: ct).WaitAsync(Timeout, ct));
        Assert.Equal("NotFound", missing.ErrorName);

        await fixture.WaitForPageAsync(group, p => (string?)p.Single(m => (string?)m!["messageId"] == id)!["data"] == "final", ct);
        await rosa.DeleteMessageAsync(group, id, cancellationToken: ct).WaitAsync(Timeout, ct);
        var delete = await changes.Reader.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal((id, BrokerChatMessageChangeKind.Deleted, "rosa", (WebPubSubDataType?)null), (delete.MessageId, delete.Change, delete.FromUserId, delete.DataType));
        Assert.True(delete.Data.IsEmpty);
        await fixture.WaitForPageAsync(group, p => (bool?)p.Single(m => (string?)m!["messageId"] == id)!["deleted"] == true, ct);
        Assert.False(changes.Reader.TryRead(out _)); // the refused ones announced nothing
    }
}
