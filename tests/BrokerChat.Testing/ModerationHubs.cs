using BrokerChat.Functions.Moderation;

namespace BrokerChat.Testing;

/// <summary>The moderation rules of single hubs in <see cref="HostSettings"/>, by hub name (<see cref="ModerationOptions.Hubs"/>).</summary>
public sealed class ModerationHubs
{
    private readonly HostSettings _settings;

    internal ModerationHubs(HostSettings settings) => _settings = settings;

    /// <summary>The rules of <paramref name="hub"/> (<c>Functions:Hubs:&lt;hub&gt;:</c>).</summary>
    public HubModerationSettings this[string hub] => new(_settings, $"{ModerationOptions.HubsSectionName}:{hub}");
}
