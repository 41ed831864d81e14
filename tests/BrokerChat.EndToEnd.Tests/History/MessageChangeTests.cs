using System.Net;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>
/// Edits and deletes of group messages end to end: a client's <c>editMessage</c> and <c>deleteMessage</c> and the REST
/// API's PUT and DELETE go through Kafka in the room's order, every member on both connectors hears a
/// <c>messageChanged</c> after the message, and the history function applies them to the store.
/// </summary>
public sealed class MessageChangeTests(ChangesFixture fixture) : IClassFixture<ChangesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 180_000)]
    public async Task ASendersEditThenDeleteReachEveryMemberOnBothConnectorsInOrderAfterTheMessageAndTheStoreKeepsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.First.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
        await using var bob = await fixture.Second.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
        await using var carol = await fixture.Second.ConnectAsync("chat", "carol", ct).WaitAsync(Timeout, ct);
        foreach (var member in new[] { alice, bob, carol })
        {
            await member.JoinAndTakeHistoryAsync("edits", cancellationToken: ct).WaitAsync(Timeout, ct);
        }

        Assert.True((await alice.SendToGroupAsync("edits", "first draft", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        var id = await fixture.StoredIdAsync("edits", "first draft", ct);

        var edited = await ChangeAsync(alice, "editMessage", "edits", id, ("dataType", "text"), ("data", "second draft"), ct);
        Assert.True(edited.Success, edited.ToString());
        var deleted = await ChangeAsync(alice, "deleteMessage", "edits", id, ct);
        Assert.True(deleted.Success, deleted.ToString());

        foreach (var member in new[] { alice, bob, carol })
        {
            var edit = await member.WaitForFrameAsync(f => IsChange(f, id, "edited"), ct).WaitAsync(Timeout, ct);
            Assert.Equal("edits", (string?)edit["group"]);
            Assert.Equal("alice", (string?)edit["fromUserId"]);
            Assert.Equal("text", (string?)edit["dataType"]);
            Assert.Equal("second draft", (string?)edit["data"]);
            var delete = await member.WaitForFrameAsync(f => IsChange(f, id, "deleted"), ct).WaitAsync(Timeout, ct);
            Assert.Equal("alice", (string?)delete["fromUserId"]);
            Assert.Null(delete["data"]);

            // The message, then its edit, then its delete, on whichever connector the member is.
            var frames = member.Frames.ToList();
            var message = frames.FindIndex(f => (string?)f["type"] == "message" && (string?)f["data"] == "first draft");
            Assert.True(message >= 0);
            Assert.True(message < frames.IndexOf(edit), "The edit comes after the message.");
            Assert.True(frames.IndexOf(edit) < frames.IndexOf(delete), "The delete comes after the edit.");
            Assert.Null(edit["sequenceId"]);
        }

        // The store: a tombstone (after the edit was applied in between, in order).
        var page = await fixture.WaitForPageAsync("edits", p => p.Any(m => (string?)m!["messageId"] == id && (bool?)m["deleted"] == true), ct);
        var tombstone = page.Single(m => (string?)m!["messageId"] == id)!;
        Assert.Null(tombstone["data"]);
        Assert.Equal("alice", (string?)tombstone["fromUserId"]);
        var listed = await ListAsync(bob, "edits", ct);
        Assert.True((bool?)listed.Single(m => (string?)m!["messageId"] == id)!["deleted"]);
    }

    [Fact(Timeout = 180_000)]
    public async Task AMemberJoiningAfterAnEditAndADeleteGetsTheCurrentTextInItsJoinHistoryFromTheConnectorsMemory()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.First.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
        await using var bob = await fixture.Second.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
        await alice.JoinAndTakeHistoryAsync("recent", cancellationToken: ct).WaitAsync(Timeout, ct);
        await bob.JoinAndTakeHistoryAsync("recent", cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.True((await alice.SendToGroupAsync("recent", "kept", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        Assert.True((await alice.SendToGroupAsync("recent", "helo", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        Assert.True((await alice.SendToGroupAsync("recent", "oops", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        var typo = await fixture.StoredIdAsync("recent", "helo", ct);
        var oops = await fixture.StoredIdAsync("recent", "oops", ct);

        Assert.True((await ChangeAsync(alice, "editMessage", "recent", typo, ("dataType", "text"), ("data", "hello"), ct)).Success);
        Assert.True((await ChangeAsync(alice, "deleteMessage", "recent", oops, ct)).Success);
        // Bob heard both on the second connector, so that connector has read them.
        await bob.WaitForFrameAsync(f => IsChange(f, oops, "deleted"), ct).WaitAsync(Timeout, ct);

        await using var dave = await fixture.Second.ConnectAsync("chat", "dave", ct).WaitAsync(Timeout, ct);
        var history = await dave.JoinAndTakeHistoryAsync("recent", history: 10, cancellationToken: ct).WaitAsync(Timeout, ct);

        Assert.True(history.Select(f => (string?)f["data"]).SequenceEqual(["kept", "hello"]), string.Join(" | ", history.Select(f => f.ToJsonString())));
    }

    [Fact(Timeout = 180_000)]
    public async Task AnEditShowsInListMessagesAndTheRestPageWithItsEditedAt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.Second.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
        await alice.JoinAndTakeHistoryAsync("drafts", cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.True((await alice.SendToGroupAsync("drafts", "typo", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        var id = await fixture.StoredIdAsync("drafts", "typo", ct);
        var page = await fixture.WaitForPageAsync("drafts", p => p.Any(m => (string?)m!["messageId"] == id), ct);
        Assert.Null(page.Single(m => (string?)m!["messageId"] == id)!["editedAt"]); // never edited yet

        var ack = await ChangeAsync(alice, "editMessage", "drafts", id, ("dataType", "json"), ("data", new JsonObject { ["text"] = "fixed" }), ct);
        Assert.True(ack.Success, ack.ToString());

        page = await fixture.WaitForPageAsync("drafts", p => p.Single(m => (string?)m!["messageId"] == id)!["editedAt"] is not null, ct);
        var stored = page.Single(m => (string?)m!["messageId"] == id)!;
        Assert.Equal("json", (string?)stored["dataType"]);
        Assert.Equal("fixed", (string?)stored["data"]!["text"]);
        Assert.True(DateTimeOffset.Parse((string)stored["editedAt"]!, System.Globalization.CultureInfo.InvariantCulture) >= DateTimeOffset.Parse((string)stored["timestamp"]!, System.Globalization.CultureInfo.InvariantCulture));
        var listed = (await ListAsync(alice, "drafts", ct)).Single(m => (string?)m!["messageId"] == id)!;
        Assert.Equal("fixed", (string?)listed["data"]!["text"]);
        Assert.Equal((string?)stored["editedAt"], (string?)listed["editedAt"]);
    }

    [Fact(Timeout = 180_000)]
    public async Task ChangesOfOthersMissingMessagesAndMalformedRequestsAreRefusedWithNothingChangedOrLost()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.First.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
        await using var bob = await fixture.Second.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
        await alice.JoinAndTakeHistoryAsync("guarded", cancellationToken: ct).WaitAsync(Timeout, ct);
        await bob.JoinAndTakeHistoryAsync("guarded", cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.True((await alice.SendToGroupAsync("guarded", "mine", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        var id = await fixture.StoredIdAsync("guarded", "mine", ct);

        Assert.Equal("Forbidden", (await ChangeAsync(bob, "editMessage", "guarded", id, ("dataType", "text"), ("data", "theirs"), ct)).ErrorName);
        Assert.Equal("Forbidden", (await ChangeAsync(bob, "deleteMessage", "guarded", id, ct)).ErrorName);
        Assert.Equal("NotFound", (await ChangeAsync(alice, "editMessage", "guarded", "0-999999", ("dataType", "text"), ("data", "x"), ct)).ErrorName);
        Assert.Equal("NotFound", (await ChangeAsync(alice, "deleteMessage", "guarded", "0-999999", ct)).ErrorName);
        Assert.Equal("BadRequest", (await ChangeAsync(alice, "deleteMessage", "guarded", null, ct)).ErrorName);
        Assert.Equal("BadRequest", (await ChangeAsync(alice, "editMessage", "guarded", id, ("dataType", "text"), ct)).ErrorName);
        Assert.Equal("BadRequest", (await ChangeAsync(alice, "editMessage", "guarded", id, ("dataType", "morse"), ("data", "x"), ct)).ErrorName);
        Assert.Equal("BadRequest", (await ChangeAsync(alice, "deleteMessage", " ", id, ct)).ErrorName);
        // Past the workers' size limit: refused by the functions, after Kafka, not by the connector.
        var tooLarge = await ChangeAsync(alice, "editMessage", "guarded", id, ("dataType", "text"), ("data", new string('x', ChangesFixture.MaxMessageBytes + 1)), ct);
        Assert.Equal("BadRequest", tooLarge.ErrorName);
        Assert.Contains("exceeds the limit", tooLarge.ErrorMessage, StringComparison.Ordinal);

        // An anonymous connection is nobody's sender; a hub without history has no messages to change.
        await using var anonymous = await fixture.First.ConnectAsync("chat", null, ct).WaitAsync(Timeout, ct);
        Assert.Equal("Forbidden", (await ChangeAsync(anonymous, "deleteMessage", "guarded", id, ct)).ErrorName);
        await using var elsewhere = await fixture.First.ConnectAsync(ChangesFixture.NoHistoryHub, "alice", ct).WaitAsync(Timeout, ct);
        Assert.Equal("NotFound", (await ChangeAsync(elsewhere, "deleteMessage", "guarded", id, ct)).ErrorName);

        // Nothing else lost: the connections work on, the message is as it was, and nobody heard of a change.
        Assert.True((await alice.SendToGroupAsync("guarded", "still here", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        await bob.WaitForFrameAsync(f => (string?)f["data"] == "still here", ct).WaitAsync(Timeout, ct);
        var page = await fixture.WaitForPageAsync("guarded", p => p.Any(m => (string?)m!["data"] == "still here"), ct);
        var original = page.Single(m => (string?)m!["messageId"] == id)!;
        Assert.Equal("mine", (string?)original["data"]);
        Assert.Null(original["editedAt"]);
        Assert.DoesNotContain(bob.Frames, f => (string?)f["event"] == WebPubSubSystemEvents.MessageChanged);
        Assert.DoesNotContain(alice.Frames, f => (string?)f["event"] == WebPubSubSystemEvents.MessageChanged);
    }

    [Fact(Timeout = 180_000)]
    public async Task TheBackendsRestEditAndDeleteAreAcceptedAndAnnouncedLiveToTheGroup()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.First.ConnectAsync("chat", "alice", ct).WaitAsync(Timeout, ct);
        await using var bob = await fixture.Second.ConnectAsync("chat", "bob", ct).WaitAsync(Timeout, ct);
        await alice.JoinAndTakeHistoryAsync("moderated", cancellationToken: ct).WaitAsync(Timeout, ct);
        await bob.JoinAndTakeHistoryAsync("moderated", cancellationToken: ct).WaitAsync(Timeout, ct);
        Assert.True((await alice.SendToGroupAsync("moderated", "rude words", cancellationToken: ct).WaitAsync(Timeout, ct))!.Success);
        var id = await fixture.StoredIdAsync("moderated", "rude words", ct);
        var path = $"/api/hubs/chat/groups/moderated/messages/{id}";

        Assert.Equal(HttpStatusCode.Accepted, await RestCalls.CallAsync(fixture.First.BaseUri, HttpMethod.Put, path, ct, "[removed by a moderator]"));
        foreach (var member in new[] { alice, bob })
        {
            var edit = await member.WaitForFrameAsync(f => IsChange(f, id, "edited"), ct).WaitAsync(Timeout, ct);
            Assert.Null((string?)edit["fromUserId"]);
            Assert.True(edit.ContainsKey("fromUserId"));
            Assert.Equal("[removed by a moderator]", (string?)edit["data"]);
        }

        await fixture.WaitForPageAsync("moderated", p => (string?)p.Single(m => (string?)m!["messageId"] == id)!["data"] == "[removed by a moderator]", ct);
        Assert.Equal(HttpStatusCode.Accepted, await RestCalls.CallAsync(fixture.Second.BaseUri, HttpMethod.Delete, path, ct));
        await bob.WaitForFrameAsync(f => IsChange(f, id, "deleted"), ct).WaitAsync(Timeout, ct);
        await fixture.WaitForPageAsync("moderated", p => (bool?)p.Single(m => (string?)m!["messageId"] == id)!["deleted"] == true, ct);

        // Once deleted, or never there, there is nothing to change.
        Assert.Equal(HttpStatusCode.NotFound, await RestCalls.CallAsync(fixture.First.BaseUri, HttpMethod.Delete, path, ct));
        Assert.Equal(HttpStatusCode.NotFound, await RestCalls.CallAsync(fixture.First.BaseUri, HttpMethod.Put, "/api/hubs/chat/groups/moderated/messages/0-999999", ct, "x"));
        Assert.Equal(HttpStatusCode.BadRequest, await RestCalls.CallAsync(fixture.First.BaseUri, HttpMethod.Put, path, ct, "{not json", "application/json"));
    }

    internal static bool IsChange(JsonObject frame, string messageId, string change) =>
        (string?)frame["event"] == WebPubSubSystemEvents.MessageChanged && (string?)frame["messageId"] == messageId && (string?)frame["change"] == change;

    private static Task<AckFrame> ChangeAsync(WebPubSubTestClient client, string type, string group, string? messageId, CancellationToken ct) =>
        ChangeAsync(client, type, group, messageId, [], ct);

    private static Task<AckFrame> ChangeAsync(WebPubSubTestClient client, string type, string group, string? messageId, (string Name, JsonNode? Value) field, CancellationToken ct) =>
        ChangeAsync(client, type, group, messageId, [field], ct);

    private static Task<AckFrame> ChangeAsync(WebPubSubTestClient client, string type, string group, string? messageId, (string Name, JsonNode? Value) first, (string Name, JsonNode? Value) second, CancellationToken ct) =>
        ChangeAsync(client, type, group, messageId, [first, second], ct);

    private static async Task<AckFrame> ChangeAsync(WebPubSubTestClient client, string type, string group, string? messageId, (string Name, JsonNode? Value)[] fields, CancellationToken ct)
    {
        var request = new JsonObject { [WebPubSubFields.Type] = type, [WebPubSubFields.Group] = group };
        if (messageId is not null)
        {
            request[WebPubSubFields.MessageId] = messageId;
        }

        foreach (var (name, value) in fields)
        {
            request[name] = value;
        }

        return (await client.SendAsync(request, cancellationToken: ct).WaitAsync(Timeout, ct))!;
    }

    private static async Task<JsonArray> ListAsync(WebPubSubTestClient client, string group, CancellationToken ct)
    {
        var ack = (await client.SendAsync(new JsonObject { [WebPubSubFields.Type] = WebPubSubMessageTypes.ListMessages, [WebPubSubFields.Group] = group }, cancellationToken: ct).WaitAsync(Timeout, ct))!;
        Assert.True(ack.Success, ack.ToString());
        var page = await client.WaitForFrameAsync(f => (string?)f["event"] == WebPubSubSystemEvents.Messages && (ulong?)f["ackId"] == ack.AckId, ct).WaitAsync(Timeout, ct);
        return page["messages"]!.AsArray();
    }
}
