using System.Reflection;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// What one hub class handles, read once at startup: its name, which connection events and hook it overrides, and its
/// user-event and invocation methods by event name. A class that cannot be bound fails the host's start with the reason.
/// </summary>
internal sealed class HubDescriptor
{
    private readonly Dictionary<string, HubMethod> _events = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, HubMethod> _invocations = new(StringComparer.OrdinalIgnoreCase);

    private HubDescriptor(Type type, string name)
    {
        Type = type;
        Name = name;
        HandlesConnect = Overrides(type, nameof(BrokerChatHub.OnConnectAsync));
        HandlesConnected = Overrides(type, nameof(BrokerChatHub.OnConnectedAsync));
        HandlesDisconnected = Overrides(type, nameof(BrokerChatHub.OnDisconnectedAsync));
        HandlesPublish = Overrides(type, nameof(BrokerChatHub.OnPublishAsync));
    }

    /// <summary>The hub class.</summary>
    public Type Type { get; }

    /// <summary>The hub's name, lower-cased.</summary>
    public string Name { get; }

    public bool HandlesConnect { get; }

    public bool HandlesConnected { get; }

    public bool HandlesDisconnected { get; }

    public bool HandlesPublish { get; }

    /// <summary>The event names with a user-event method.</summary>
    public IEnumerable<string> Events => _events.Keys;

    /// <summary>The event names with an invocation method.</summary>
    public IEnumerable<string> Invocations => _invocations.Keys;

    /// <summary>Reads <paramref name="type"/>, served as <paramref name="name"/> or the name its <see cref="HubAttribute"/> gives.</summary>
    public static HubDescriptor Create(Type type, string? name)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(BrokerChatHub).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new InvalidOperationException($"{type.Name} is not a concrete {nameof(BrokerChatHub)}.");
        }

        name ??= type.GetCustomAttribute<HubAttribute>()?.Name
            ?? throw new InvalidOperationException($"{type.Name} names no hub: add [Hub(\"name\")] or pass the name when registering it.");
        if (!HubNames.IsValid(name))
        {
            throw new InvalidOperationException($"'{name}' ({type.Name}) is not a valid hub name.");
        }

        var descriptor = new HubDescriptor(type, HubNames.Normalize(name));
        foreach (var method in type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (method.GetCustomAttribute<UserEventAttribute>() is { } userEvent)
            {
                Add(descriptor._events, type, userEvent.Name, HubMethod.Bind(method, typeof(UserEventContext), userEvent.Batch));
            }

            if (method.GetCustomAttribute<InvocationAttribute>() is { } invocation)
            {
                Add(descriptor._invocations, type, invocation.Name, HubMethod.Bind(method, typeof(InvocationContext), batch: false));
            }
        }

        return descriptor;
    }

    /// <summary>The method for the user event <paramref name="name"/>, or null.</summary>
    public HubMethod? UserEvent(string? name) => name is not null && _events.TryGetValue(name, out var method) ? method : null;

    /// <summary>The method answering invocations of <paramref name="name"/>, or null.</summary>
    public HubMethod? Invocation(string? name) => name is not null && _invocations.TryGetValue(name, out var method) ? method : null;

    private static void Add(Dictionary<string, HubMethod> methods, Type type, string eventName, HubMethod method)
    {
        if (!EventNames.IsValid(eventName))
        {
            throw new InvalidOperationException($"{method.Name}: '{eventName}' is not a valid event name (^[a-z][a-z0-9_.-]{{0,127}}$).");
        }

        if (!methods.TryAdd(eventName, method))
        {
            throw new InvalidOperationException($"{type.Name} has two methods for the event '{eventName}'.");
        }
    }

    private static bool Overrides(Type type, string name) =>
        type.GetMethod(name, BindingFlags.Instance | BindingFlags.Public)?.DeclaringType != typeof(BrokerChatHub);
}
