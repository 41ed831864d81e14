using System.Net.Sockets;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Testing;

/// <summary>How a <see cref="WebPubSubTestClient"/> connects.</summary>
public sealed record WebPubSubTestClientOptions
{
    /// <summary>A client of <c>json.webpubsub.azure.v1</c> that reads everything the server sends.</summary>
    public static readonly WebPubSubTestClientOptions Default = new();

    /// <summary>
    /// Offer <c>json.reliable.webpubsub.azure.v1</c> rather than <c>json.webpubsub.azure.v1</c>: messages carry sequence
    /// ids, <c>connected</c> carries a reconnection token, and the session can be resumed after a drop
    /// (<see cref="WebPubSubTestClient.ResumeAsync"/>). The client acknowledges only when told to
    /// (<see cref="WebPubSubTestClient.AcknowledgeAsync"/>), so a test decides what the server must keep.
    /// </summary>
    public bool Reliable { get; init; }

    /// <summary>Adjusts the TCP socket before it connects (source address, buffer sizes).</summary>
    public Action<Socket>? ConfigureSocket { get; init; }

    /// <summary>Makes the TCP socket (one of a test host's, say); a plain socket of this process when null.</summary>
    public Func<Socket>? CreateSocket { get; init; }

    /// <summary>False for a client that never reads: nothing is received, so the server's frames pile up.</summary>
    public bool Read { get; init; } = true;

    /// <summary>The subprotocol offered.</summary>
    public string Subprotocol => Reliable ? WebPubSubSubprotocols.JsonReliable : WebPubSubSubprotocols.Json;
}
