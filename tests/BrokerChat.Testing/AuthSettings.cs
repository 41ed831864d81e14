using BrokerChat.Connector.Auth;

namespace BrokerChat.Testing;

/// <summary>The access keys and tokens in <see cref="HostSettings"/>: the keys of <see cref="AuthOptions"/>.</summary>
public sealed class AuthSettings : HostSettingsSection
{
    internal AuthSettings(HostSettings settings)
        : base(settings, AuthOptions.SectionName)
    {
    }

    /// <summary>The access keys tokens are signed with (<c>Auth:AccessKeys:0</c>, ...).</summary>
    public IReadOnlyList<string>? AccessKeys
    {
        get => GetList(nameof(AuthOptions.AccessKeys));
        set => SetList(nameof(AuthOptions.AccessKeys), value);
    }

    /// <summary>A Web PubSub connection string whose access key signs tokens.</summary>
    public string? ConnectionString
    {
        get => GetText(nameof(AuthOptions.ConnectionString));
        set => SetText(nameof(AuthOptions.ConnectionString), value);
    }

    /// <summary>A second connection string, whose key is accepted too.</summary>
    public string? SecondaryConnectionString
    {
        get => GetText(nameof(AuthOptions.SecondaryConnectionString));
        set => SetText(nameof(AuthOptions.SecondaryConnectionString), value);
    }

    /// <summary>Whether <c>/negotiate</c> hands out client access URLs.</summary>
    public bool? EnableNegotiate
    {
        get => Get<bool>(nameof(AuthOptions.EnableNegotiate));
        set => Set(nameof(AuthOptions.EnableNegotiate), value);
    }
}
