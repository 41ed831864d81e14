namespace BrokerChat.Functions.Hubs;

/// <summary>Names the hub a <see cref="BrokerChatHub"/> serves (compared case-insensitively).</summary>
/// <param name="name">The hub's name.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class HubAttribute(string name) : Attribute
{
    /// <summary>The hub's name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Marks a hub method that handles the user event <paramref name="name"/> (an <c>event</c> message; a simple
/// WebSocket client's frames are the event <c>message</c>). Its parameters may be the <see cref="UserEventContext"/>,
/// a <see cref="CancellationToken"/>, and the data as <see cref="MessageData"/>, <see cref="string"/>,
/// <c>byte[]</c> or any type read from JSON. It may be static. With <see cref="Batch"/>, it takes an
/// <c>IReadOnlyList&lt;UserEventContext&gt;</c> of the events read together.
/// </summary>
/// <param name="name">The event's name (compared case-insensitively).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class UserEventAttribute(string name) : Attribute
{
    /// <summary>The event's name.</summary>
    public string Name { get; } = name;

    /// <summary>Whether the method takes several events at once (for storing them in one round trip).</summary>
    public bool Batch { get; init; }
}

/// <summary>
/// Marks a hub method that answers invocations of <paramref name="name"/> (<c>invokeEvent</c> in the JavaScript
/// client, <c>InvokeAsync</c> in the .NET one). Parameters bind as for <see cref="UserEventAttribute"/>, with an
/// <see cref="InvocationContext"/>. The return value is the answer: <see cref="MessageData"/>, a <see cref="string"/>
/// (text), <c>byte[]</c> (binary), any other value (JSON), or nothing; <c>Task</c> and <c>ValueTask</c> of these too.
/// </summary>
/// <param name="name">The event's name (compared case-insensitively).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class InvocationAttribute(string name) : Attribute
{
    /// <summary>The event's name.</summary>
    public string Name { get; } = name;
}
