namespace BrokerChat.Functions.Hubs;

/// <summary>A hub class registered with <see cref="HubServiceCollectionExtensions.AddBrokerChatHub{THub}"/>.</summary>
/// <param name="Type">The hub class.</param>
/// <param name="Name">The hub's name, or null for its <see cref="HubAttribute"/>'s.</param>
public sealed record HubRegistration(Type Type, string? Name);

/// <summary>The application's hubs by name, bound when the host starts.</summary>
internal sealed class HubRegistry
{
    private readonly Dictionary<string, HubDescriptor> _hubs = new(StringComparer.Ordinal);

    public HubRegistry(IEnumerable<HubRegistration> registrations)
    {
        foreach (var registration in registrations)
        {
            var hub = HubDescriptor.Create(registration.Type, registration.Name);
            if (_hubs.TryGetValue(hub.Name, out var other))
            {
                if (other.Type == hub.Type)
                {
                    continue; // registered twice: the same hub
                }

                throw new InvalidOperationException($"Two classes serve hub '{hub.Name}': {other.Type.Name} and {hub.Type.Name}.");
            }

            _hubs.Add(hub.Name, hub);
        }
    }

    /// <summary>The hubs.</summary>
    public IReadOnlyCollection<HubDescriptor> Hubs => _hubs.Values;

    /// <summary>The hub serving <paramref name="hub"/> (lower-cased), or null.</summary>
    public HubDescriptor? Find(string hub) => _hubs.Count > 0 && _hubs.TryGetValue(hub, out var descriptor) ? descriptor : null;
}
