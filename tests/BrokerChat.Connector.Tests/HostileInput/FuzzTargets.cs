using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Requests;
using BrokerChat.Connector.Rest;
using BrokerChat.Connector.Sessions;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Functions.Hosting.CustomHandler;
using MessagePack;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>
/// Every parser that reads bytes from outside the process: client frames (JSON and MessagePack), Kafka records
/// (inbound frames, deliveries and their text form), tokens (reconnection and access tokens, both as a client sends
/// them and, signed with the test key, the claims behind the signature), and the custom handler's trigger
/// invocations. A new parser of untrusted input gets one more entry in <see cref="All"/>.
/// </summary>
internal static class FuzzTargets
{
    private const string Key = "fuzz-key-0123456789abcdef0123456789abcdef";
    private const string Hub = "chat";
    private const string ConnectionId = "conn1";
    private static readonly FakeTimeProvider s_time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private static readonly AccessTokenService s_accessTokens = new(Options.Create(new AuthOptions { AccessKeys = [Key] }), s_time);
    private static readonly ReconnectionTokens s_reconnectionTokens = new(s_accessTokens, Options.Create(new ConnectorOptions()), s_time);

    // Reconnection tokens are signed with a key derived from the access key for this purpose (see ReconnectionTokens).
    private static readonly byte[] s_reconnectionKey = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), "BrokerChat reconnection token v1"u8);
    private static readonly JsonDocumentOptions s_invocationJson = new() { MaxDepth = KafkaTriggerPayload.MaxDepth };
    private static readonly string[] s_accessTokenSeeds = AccessTokenSeeds();

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        JsonRequests(),
        MessagePackRequests(),
        InboundFrames(),
        Deliveries(),
        DeliveriesAsText(),
        ReconnectionTokensAsSent(),
        ReconnectionTokenStates(),
        AccessTokensAsSent(),
        AccessTokenHeaders(),
        AccessTokenClaims(),
        TriggerInvocations(),
        RequestHeads(),
        WebSocketFrames(),
        RestGroupsBodies(),
        RestFilters(),
    ];

    public static FuzzTarget Find(string name) => All.Single(t => t.Name == name);

    private static FuzzTarget JsonRequests() => new(
        "json-request",
        InputShape.Json,
        JsonRequestSeeds.Select(s => Encoding.UTF8.GetBytes(s)).ToArray(),
        input => () => Request(JsonRequestParser.Parse(input, new ClientRequest(), out var error), error));

    private static FuzzTarget MessagePackRequests() => new(
        "msgpack-request",
        InputShape.MessagePack,
        [
            Map(("type", "joinGroup"), ("group", "room"), ("ackId", 1UL), ("history", 20UL), ("presence", true)),
            Map(("type", "leaveGroup"), ("group", "room"), ("ackId", 2UL)),
            Map(("type", "sendToGroup"), ("group", "room"), ("dataType", "json"), ("data", "{\"text\":\"hi\",\"n\":[1,2]}"), ("ackId", 3UL), ("noEcho", true)),
            Map(("type", "sendToGroup"), ("group", "room"), ("dataType", "text"), ("data", "h\u00e9llo \ud83d\ude00")),
            Map(("type", "sendToGroup"), ("group", "room"), ("dataType", "binary"), ("data", new byte[] { 0, 1, 2, 255 })),
            Map(("type", "event"), ("event", "typing"), ("dataType", "text"), ("data", "x"), ("future", new object[] { 1, "a" })),
            Map(("type", "sequenceAck"), ("sequenceId", ulong.MaxValue)),
            Map(("type", "ping")),
            Map(("type", "listMembers"), ("group", "room"), ("ackId", 4UL)),
            Map(("type", "editMessage"), ("group", "room"), ("messageId", "0-42"), ("dataType", "text"), ("data", "fixed"), ("ackId", 5UL)),
            Map(("type", "deleteMessage"), ("group", "room"), ("messageId", "0-42"), ("ackId", 6UL)),
        ],
        input => () => Request(MessagePackRequestParser.Parse(input, new ClientRequest(), out var error), error));

    private static FuzzTarget RestGroupsBodies() => new(
        "rest-groups-body",
        InputShape.Json,
        [
            "{\"groups\":[\"room\",\"lobby\"]}"u8.ToArray(),
            "{\"groups\":[\"a b\"],\"filter\":\"userId eq 'alice' or 'vip' in groups\"}"u8.ToArray(),
            "{\"groups\":[\"r\u00e9union\"],\"filter\":\"not (connectionId ne 'c1') and userId in ('a','b')\"}"u8.ToArray(),
        ],
        input => () =>
        {
            RestBodies.ParseGroups(input);
            return FuzzOutcome.Ok;
        },
        typeof(RestBodyException));

    private static FuzzTarget RestFilters() => new(
        "rest-odata-filter",
        InputShape.Text,
        [
            "userId eq 'alice'"u8.ToArray(),
            "'vip' in groups and not (connectionId eq 'c1' or userId ne null)"u8.ToArray(),
            "userId in ('a', 'b''c') or connectionId ge 'm'"u8.ToArray(),
        ],
        input => () =>
        {
            ODataFilter.Parse(Encoding.UTF8.GetString(input));
            return FuzzOutcome.Ok;
        },
        typeof(FilterException))
    {
        // A token object per word or quote of the filter: linear, at about 40 bytes per input byte.
        BytesPerInputByte = 64,
    };

    private static FuzzTarget InboundFrames() => new(
        "kafka-inbound-frame",
        InputShape.MessagePack,
        [
            ContractSerializer.Serialize(new InboundFrame
            {
                Kind = InboundKind.SendToGroup, Hub = Hub, Group = "room", ConnectionId = ConnectionId, ConnectorId = "c1", UserId = "alice",
                Roles = ["webpubsub.sendToGroup"], AckId = 7, DataType = DataType.Text, Payload = "hi"u8.ToArray(), ReceivedAt = 1_700_000_000_000,
                TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", NoEcho = true, EventName = "typing",
            }),
            ContractSerializer.Serialize(new InboundFrame
            {
                Kind = InboundKind.Presence, Hub = Hub, Group = "room", ConnectionId = ConnectionId, ConnectorId = "c1",
                Presence = new PresenceChange { Action = PresenceAction.Snapshot, ConnectorId = "c1", Members = [new PresenceMember { Hub = Hub, Group = "room", ConnectionId = "x", UserId = "bob" }] },
            }),
        ],
        input => () => Contract(() => ContractSerializer.DeserializeInbound(input)),
        typeof(ContractException));

    private static FuzzTarget Deliveries() => new(
        "kafka-delivery",
        InputShape.MessagePack,
        DeliverySeeds().Select(ContractSerializer.Serialize).ToArray(),
        input => () => Contract(() => ContractSerializer.DeserializeDelivery(input)),
        typeof(ContractException));

    private static FuzzTarget DeliveriesAsText() => new(
        "kafka-delivery-text",
        InputShape.Text,
        DeliverySeeds().Select(d => Encoding.ASCII.GetBytes(Convert.ToBase64String(ContractSerializer.Serialize(d)))).ToArray(),
        input => () => Contract(() => ContractSerializer.DeserializeDelivery(input)),
        typeof(ContractException));

    private static FuzzTarget ReconnectionTokensAsSent() => new(
        "reconnection-token",
        InputShape.Text,
        ReconnectionStates().Select(s => Encoding.ASCII.GetBytes(s_reconnectionTokens.Create(s))).ToArray(),
        input => Prepared(ReadReconnectionToken, Encoding.UTF8.GetString(input)));

    /// <summary>The token's payload signed with the key, so the generated bytes reach the decoder behind the signature.</summary>
    private static FuzzTarget ReconnectionTokenStates() => new(
        "reconnection-token-signed-state",
        InputShape.MessagePack,
        ReconnectionStates().Select(s => Base64Url.DecodeFromChars(s_reconnectionTokens.Create(s).Split('.')[0])).ToArray(),
        input => Prepared(ReadReconnectionToken, Base64Url.EncodeToString(input) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(s_reconnectionKey, input))));

    private static FuzzTarget AccessTokensAsSent() => new(
        "access-token",
        InputShape.Text,
        s_accessTokenSeeds.Select(Encoding.ASCII.GetBytes).ToArray(),
        input => Prepared(ValidateAccessToken, Encoding.UTF8.GetString(input)));

    /// <summary>The header, which is parsed before the signature is checked.</summary>
    private static FuzzTarget AccessTokenHeaders() => new(
        "access-token-header",
        InputShape.Json,
        s_accessTokenSeeds.Select(t => Base64Url.DecodeFromChars(t.Split('.')[0])).Take(1).ToArray(),
        input =>
        {
            var parts = s_accessTokenSeeds[0].Split('.');
            return Prepared(ValidateAccessToken, Base64Url.EncodeToString(input) + "." + parts[1] + "." + parts[2]);
        });

    /// <summary>The claims signed with the key, so the generated bytes reach the claim checks behind the signature.</summary>
    private static FuzzTarget AccessTokenClaims() => new(
        "access-token-signed-claims",
        InputShape.Json,
        s_accessTokenSeeds.Select(t => Base64Url.DecodeFromChars(t.Split('.')[1])).ToArray(),
        input =>
        {
            var signingInput = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8) + "." + Base64Url.EncodeToString(input);
            var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.ASCII.GetBytes(signingInput));
            return Prepared(ValidateAccessToken, signingInput + "." + Base64Url.EncodeToString(signature));
        });

    /// <summary>A whole invocation body as the Functions host posts it; a body that is not JSON is answered 400 like a bad invocation.</summary>
    private static FuzzTarget TriggerInvocations() => new(
        "custom-handler-trigger",
        InputShape.Json,
        TriggerSeeds().Select(Encoding.UTF8.GetBytes).ToArray(),
        input => () =>
        {
            using var body = JsonDocument.Parse(input, s_invocationJson);
            var records = KafkaTriggerPayload.Read(body.RootElement, CustomHandlerFunctions.TriggerBinding);
            return records.FirstOrDefault(r => r.Problem is not null) is { Problem: { } problem } ? FuzzOutcome.Refused(problem) : FuzzOutcome.Ok;
        },
        typeof(JsonException), typeof(TriggerPayloadException))
    {
        // The body, then each JSON string it decodes again (up to four levels): as UTF-16, as UTF-8 again and as a document.
        BytesPerInputByte = 48,
    };

    /// <summary>The request head of a connection's first bytes, read before any HTTP server sees them.</summary>
    private static FuzzTarget RequestHeads() => new(
        "websocket-request-head",
        InputShape.Text,
        [
            "GET /client/hubs/chat?access_token=abc.def.ghi HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: json.reliable.webpubsub.azure.v1, json.webpubsub.azure.v1\r\n\r\n"u8.ToArray(),
            "GET /client/hubs/chat?awps_connection_id=c&awps_reconnection_token=t&x=%41%zz HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8.ToArray(),
        ],
        input => () =>
        {
            if (HttpRequestHead.Parse(input) is not { } head)
            {
                return FuzzOutcome.Refused("not a well-formed GET: left to the HTTP server");
            }

            _ = (head.QueryValue("access_token"), WebSocketHandshake.Protocols(head["Sec-WebSocket-Protocol"]));
            return WebSocketHandshake.CheckUpgradeHeaders(head["Upgrade"], head["Connection"], head["Sec-WebSocket-Version"], head["Sec-WebSocket-Key"]) is { } refusal
                ? FuzzOutcome.Refused($"{refusal.Status}: {refusal.Reason}")
                : FuzzOutcome.Ok;
        })
    {
        // Latin-1 text, its lines, each header's name and trimmed value, and the joined values of the five looked up.
        BytesPerInputByte = 32,
    };

    /// <summary>Client frames after the handshake: the receiver yields messages, needs more bytes, or fails with a close code.</summary>
    private static FuzzTarget WebSocketFrames() => new(
        "websocket-frames",
        InputShape.Binary,
        [
            MaskedFrame(0x81, """{"type":"ping"}"""u8),
            [.. MaskedFrame(0x01, "h\u00e9"u8), .. MaskedFrame(0x89, "ping"u8), .. MaskedFrame(0x80, "llo"u8)],
            [.. MaskedFrame(0x82, new byte[300]), .. MaskedFrame(0x8A, []), .. MaskedFrame(0x88, [0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e'])],
        ],
        input => () =>
        {
            using var receiver = new WebSocketReceiver(64 * 1024);
            var buffer = new ReadOnlySequence<byte>(input);
            while (receiver.TryReceive(ref buffer, out var message))
            {
                message.Return();
                if (message.Kind == WebSocketReceiveKind.Failed)
                {
                    return FuzzOutcome.Refused($"{message.CloseCode}: {message.Reason}");
                }
            }

            return FuzzOutcome.Ok;
        });

    private static string[] JsonRequestSeeds =>
    [
        """{"type":"joinGroup","group":"room","ackId":1,"history":20,"presence":true}""",
        """{"type":"leaveGroup","group":"room","ackId":2}""",
        """{"type":"sendToGroup","group":"room","ackId":3,"noEcho":true,"dataType":"json","data":{"text":"hi","n":[1,2.5,null,true]}}""",
        """{"data":"h\u00e9llo \"quoted\" \ud83d\ude00","type":"sendToGroup","group":"room","dataType":"text"}""",
        """{"type":"sendToGroup","group":"room","dataType":"binary","data":"AAEC/w=="}""",
        """{"type":"event","event":"typing","dataType":"text","data":"x","future":{"a":[1,2]}}""",
        """{"type":"sequenceAck","sequenceId":18446744073709551615}""",
        """{"type":"ping"}""",
        """{"type":"listMembers","group":"room","ackId":4}""",
        """{"type":"editMessage","group":"room","messageId":"0-42","dataType":"json","data":{"text":"fixed"},"ackId":5}""",
        """{"type":"deleteMessage","group":"room","messageId":"0-42","ackId":6}""",
    ];

    private static Delivery[] DeliverySeeds() =>
    [
        new Delivery
        {
            Target = DeliveryTarget.Group, Hub = Hub, Group = "room", ExcludedConnectionId = ConnectionId, MessageId = "m1", DataType = DataType.Json,
            Payload = """{"n":1}"""u8.ToArray(), ProducedAt = 1_700_000_000_000, FromUserId = "alice", ReceivedAt = 1_700_000_000_000,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
        new Delivery
        {
            Target = DeliveryTarget.Connection, Hub = Hub, ConnectionId = ConnectionId, MessageId = "m2", HasMessage = false,
            Ack = AckOutcome.Failed(ConnectionId, 9, "Forbidden", "No permission."), AckConnectorId = "c1",
        },
        new Delivery
        {
            Target = DeliveryTarget.Presence, Hub = Hub, Group = "room", MessageId = "m3", HasMessage = false,
            Presence = new PresenceChange { Action = PresenceAction.Join, ConnectorId = "c1", Version = 3, ConnectionId = "x", UserId = "bob", Members = [new PresenceMember { Hub = Hub, Group = "room", ConnectionId = "x" }] },
        },
        new Delivery
        {
            Target = DeliveryTarget.Group, Hub = Hub, Group = "room", MessageId = "m4", HasMessage = false, Command = DeliveryCommand.MessageChanged,
            ChangedMessageId = "m1", Change = MessageChange.Edited, DataType = DataType.Text, Payload = "fixed"u8.ToArray(), FromUserId = "alice",
        },
    ];

    private static ReconnectionState[] ReconnectionStates()
    {
        var expires = s_time.GetUtcNow().AddDays(1).ToUnixTimeSeconds();
        return
        [
            new(ConnectionId, Hub, "alice", ["webpubsub.joinLeaveGroup"], ["room", "lobby"], "json.reliable.webpubsub.azure.v1", 42, 3, [10, 20, 30, 40], expires, ["room"]),
            new(ConnectionId, Hub, null, [], null, "msgpack.reliable.webpubsub.brokerchat.v1", 0, -1, null, expires),
        ];
    }

    private static string[] AccessTokenSeeds() =>
    [
        s_accessTokens.Mint($"http://127.0.0.1:5000/client/hubs/{Hub}", "alice", ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"], ["room", "lobby"], TimeSpan.FromHours(1)),
        s_accessTokens.Mint($"https://chat.example.com/client/hubs/{Hub}/", null, [], [], TimeSpan.FromMinutes(5)),
    ];

    private static string[] TriggerSeeds()
    {
        var frame = Convert.ToBase64String(ContractSerializer.Serialize(new InboundFrame { Kind = InboundKind.SendToGroup, Hub = Hub, Group = "room", ConnectionId = ConnectionId, Payload = "x"u8.ToArray() }));
        var kafkaEvent = JsonSerializer.Serialize(new { Offset = 42, Partition = 3, Topic = "inbound", Timestamp = "2026-11-23T12:00:00Z", Value = "hi", Key = "room", Headers = Array.Empty<object>() });
        var batch = JsonSerializer.Serialize(JsonSerializer.Serialize(new[] { kafkaEvent, kafkaEvent }));
        return
        [
            $$$"""{"Data":{"request":"{{{frame}}}"},"Metadata":{"Partition":"3","Offset":"\"42\"","Key":"room"}}""",
            $$$"""{"Data":{"request":"{{{frame}}}"},"Metadata":{"Partition":1,"Offset":9}}""",
            $$$"""{"Data":{"request":"[\"{{{frame}}}\",\"{{{frame}}}\"]"},"Metadata":{"PartitionArray":"[1,1]","OffsetArray":[5,6],"KeyArray":["a","b"]}}""",
            $$$"""{"Data":{"request":{{{JsonSerializer.Serialize(JsonSerializer.Serialize(kafkaEvent))}}}},"Metadata":{"Partition":3,"Offset":42}}""",
            $$$"""{"Data":{"request":{{{batch}}}}}""",
        ];
    }

    private static byte[] MaskedFrame(byte first, ReadOnlySpan<byte> payload)
    {
        byte[] key = [0x5A, 0x01, 0xC3, 0x7E];
        byte[] header = payload.Length <= 125 ? [first, (byte)(0x80 | payload.Length)] : [first, 0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length];
        var frame = new byte[header.Length + 4 + payload.Length];
        header.CopyTo(frame, 0);
        key.CopyTo(frame, header.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header.Length + 4 + i] = (byte)(payload[i] ^ key[i & 3]);
        }

        return frame;
    }

    private static byte[] Map(params (string Key, object Value)[] fields) =>
        MessagePackSerializer.Serialize(fields.ToDictionary(f => f.Key, f => f.Value));

    private static FuzzOutcome Request(ParseStatus status, string? error) =>
        status == ParseStatus.Ok ? FuzzOutcome.Ok : FuzzOutcome.Refused($"{status}: {error}");

    private static FuzzOutcome Contract(Func<object> read)
    {
        read();
        return FuzzOutcome.Ok;
    }

    private static Func<FuzzOutcome> Prepared(Func<string, FuzzOutcome> parse, string token) => () => parse(token);

    private static FuzzOutcome ReadReconnectionToken(string token) =>
        s_reconnectionTokens.Read(token, ConnectionId, out var failure) is not null ? FuzzOutcome.Ok : FuzzOutcome.Refused(failure);

    private static FuzzOutcome ValidateAccessToken(string token) =>
        s_accessTokens.Validate(token, Hub, out var failure) is not null ? FuzzOutcome.Ok : FuzzOutcome.Refused(failure);
}
