using System.Text;

namespace BrokerChat.Client;

/// <summary>The server's answer to a successful <see cref="BrokerChatClient.InvokeAsync(string, ReadOnlyMemory{byte}, WebPubSubDataType, CancellationToken)"/>.</summary>
public sealed class BrokerChatInvokeResult
{
    internal BrokerChatInvokeResult(string invocationId, WebPubSubDataType? dataType, ReadOnlyMemory<byte> data)
    {
        InvocationId = invocationId;
        DataType = dataType;
        Data = dataType is null ? ReadOnlyMemory<byte>.Empty : data;
    }

    /// <summary>The invocation's id ("1", "2", … per client).</summary>
    public string InvocationId { get; }

    /// <summary>How <see cref="Data"/> is to be read; null when the response carried no data (or data of a type this client does not know).</summary>
    public WebPubSubDataType? DataType { get; }

    /// <summary>
    /// The response's payload: UTF-8 text for <see cref="WebPubSubDataType.Text"/>, UTF-8 JSON text for
    /// <see cref="WebPubSubDataType.Json"/>, the bytes for binary and protobuf; empty when <see cref="DataType"/> is null.
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The payload decoded as UTF-8 (meaningful for text and JSON).</summary>
    public string GetText() => Encoding.UTF8.GetString(Data.Span);
}
