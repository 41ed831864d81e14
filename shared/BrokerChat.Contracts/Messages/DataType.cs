namespace BrokerChat.Contracts.Messages;

/// <summary>
/// How a payload is to be interpreted. Matches the Web PubSub <c>dataType</c> values.
/// Encoded as its integer value; new values are only ever appended.
/// </summary>
public enum DataType
{
    /// <summary>The payload is UTF-8 JSON text of any JSON value.</summary>
    Json = 0,

    /// <summary>The payload is UTF-8 text.</summary>
    Text = 1,

    /// <summary>The payload is opaque bytes (base64 in the JSON client protocol).</summary>
    Binary = 2,
}
