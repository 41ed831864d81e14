using BrokerChat.Connector.LocalRun;

namespace BrokerChat.Testing;

/// <summary>What a local run keeps and serves, in <see cref="HostSettings"/>: the keys of <see cref="LocalRunOptions"/>.</summary>
public sealed class LocalRunSettings : HostSettingsSection
{
    internal LocalRunSettings(HostSettings settings)
        : base(settings, LocalRunOptions.SectionName)
    {
    }

    /// <summary>The folder with the local access key and development certificate.</summary>
    public string? DataPath
    {
        get => GetText(nameof(LocalRunOptions.DataPath));
        set => SetText(nameof(LocalRunOptions.DataPath), value);
    }

    /// <summary>Whether a local run also listens with HTTPS.</summary>
    public bool? Https
    {
        get => Get<bool>(nameof(LocalRunOptions.Https));
        set => Set(nameof(LocalRunOptions.Https), value);
    }

    /// <summary>The HTTPS port (0: one the system picks).</summary>
    public int? HttpsPort
    {
        get => Get<int>(nameof(LocalRunOptions.HttpsPort));
        set => Set(nameof(LocalRunOptions.HttpsPort), value);
    }
}
