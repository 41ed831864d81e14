namespace BrokerChat.Client.Protocol;

/// <summary>The kinds of server → client frames the client acts on; anything else is <see cref="Unknown"/> and ignored.</summary>
internal enum ServerFrameKind
{
    Unknown,
    Ack,
    Message,
    Connected,
    Disconnected,
    Pong,
}

/// <summary>
/// One server → client frame, decoded from either wire format. Only the fields of its kind are set; a data message
/// whose <c>dataType</c> is missing or unknown has <see cref="DataType"/> null and is not delivered.
/// </summary>
internal sealed class ServerFrame
{
    public ServerFrameKind Kind { get; set; }

    public ulong? AckId { get; set; }

    public bool Success { get; set; }

    public string? ErrorName { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary><c>group</c> or <c>server</c> (the <c>from</c> field).</summary>
    public string? From { get; set; }

    public string? Group { get; set; }

    public string? FromUserId { get; set; }

    public WebPubSubDataType? DataType { get; set; }

    public ReadOnlyMemory<byte> Data { get; set; }

    public ulong? SequenceId { get; set; }

    public string? ConnectionId { get; set; }

    public string? UserId { get; set; }

    public string? ReconnectionToken { get; set; }

    /// <summary>The reason of a <c>disconnected</c> system frame.</summary>
    public string? Message { get; set; }

    public static ServerFrameKind KindOf(string? type, string? systemEvent) => type switch
    {
        "ack" => ServerFrameKind.Ack,
        "message" => ServerFrameKind.Message,
        "pong" => ServerFrameKind.Pong,
        "system" when systemEvent == "connected" => ServerFrameKind.Connected,
        "system" when systemEvent == "disconnected" => ServerFrameKind.Disconnected,
        _ => ServerFrameKind.Unknown,
    };

    public static WebPubSubDataType? ParseDataType(string? value) => value switch
    {
        "json" => WebPubSubDataType.Json,
        "text" => WebPubSubDataType.Text,
        "binary" => WebPubSubDataType.Binary,
        "protobuf" => WebPubSubDataType.Protobuf,
        _ => null,
    };
}
