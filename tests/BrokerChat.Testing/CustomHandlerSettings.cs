using BrokerChat.Functions.Hosting.CustomHandler;

namespace BrokerChat.Testing;

/// <summary>The functions as an Azure Functions custom handler, in <see cref="HostSettings"/>: the keys of <see cref="CustomHandlerOptions"/>.</summary>
public sealed class CustomHandlerSettings : HostSettingsSection
{
    internal CustomHandlerSettings(HostSettings settings)
        : base(settings, CustomHandlerOptions.SectionName)
    {
    }

    /// <summary>The loopback port the handler listens on (0: a free one).</summary>
    public int? Port
    {
        get => Get<int>(nameof(CustomHandlerOptions.Port));
        set => Set(nameof(CustomHandlerOptions.Port), value);
    }
}
