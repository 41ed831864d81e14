using BrokerChat.Functions.Moderation;

namespace BrokerChat.Testing;

/// <summary>Moderation rules in <see cref="HostSettings"/>: the keys of <see cref="HubModerationOptions"/>, for every hub or for one.</summary>
public class HubModerationSettings : HostSettingsSection
{
    internal HubModerationSettings(HostSettings settings, string name)
        : base(settings, name)
    {
    }

    /// <summary>The largest payload a message may carry.</summary>
    public int? MaxPayloadBytes
    {
        get => Get<int>(nameof(HubModerationOptions.MaxPayloadBytes));
        set => Set(nameof(HubModerationOptions.MaxPayloadBytes), value);
    }

    /// <summary>Words a message may not contain.</summary>
    public IReadOnlyList<string>? BlockedWords
    {
        get => GetList(nameof(HubModerationOptions.BlockedWords));
        set => SetList(nameof(HubModerationOptions.BlockedWords), value);
    }

    /// <summary>Whether messages may carry links.</summary>
    public LinkPolicy? Links
    {
        get => Get<LinkPolicy>(nameof(HubModerationOptions.Links));
        set => Set(nameof(HubModerationOptions.Links), value);
    }

    /// <summary>The domains links may point to when <see cref="Links"/> is <see cref="LinkPolicy.AllowListed"/>.</summary>
    public IReadOnlyList<string>? AllowedLinkDomains
    {
        get => GetList(nameof(HubModerationOptions.AllowedLinkDomains));
        set => SetList(nameof(HubModerationOptions.AllowedLinkDomains), value);
    }

    /// <summary>The sustained rate of messages per sender and room.</summary>
    public double? MessagesPerSecond
    {
        get => Get<double>(nameof(HubModerationOptions.MessagesPerSecond));
        set => Set(nameof(HubModerationOptions.MessagesPerSecond), value);
    }

    /// <summary>The messages per sender and room in a burst.</summary>
    public int? MessageBurst
    {
        get => Get<int>(nameof(HubModerationOptions.MessageBurst));
        set => Set(nameof(HubModerationOptions.MessageBurst), value);
    }
}
