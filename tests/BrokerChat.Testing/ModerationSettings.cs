using BrokerChat.Functions.Moderation;

namespace BrokerChat.Testing;

/// <summary>
/// The moderation rules in <see cref="HostSettings"/>: for every hub (<c>Functions:Moderation:</c>,
/// <see cref="ModerationOptions"/>), and for single hubs (<c>Functions:Hubs:&lt;hub&gt;:</c>, <see cref="Hubs"/>).
/// </summary>
public sealed class ModerationSettings : HubModerationSettings
{
    internal ModerationSettings(HostSettings settings)
        : base(settings, ModerationOptions.SectionName) =>
        Hubs = new ModerationHubs(settings);

    /// <summary>The rules of single hubs: <c>Hubs = { ["kids"] = { Links = LinkPolicy.Block } }</c>.</summary>
    public ModerationHubs Hubs { get; }
}
