using BrokerChat.Connector.Auth;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Tests;

/// <summary>Auth options a test changes, telling the listeners as a reloaded configuration does.</summary>
internal sealed class ChangingAuthOptions(AuthOptions value) : IOptionsMonitor<AuthOptions>
{
    private readonly List<Action<AuthOptions, string?>> _listeners = [];

    public AuthOptions CurrentValue { get; private set; } = value;

    public AuthOptions Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<AuthOptions, string?> listener)
    {
        _listeners.Add(listener);
        return null;
    }

    public void Change(AuthOptions value)
    {
        CurrentValue = value;
        foreach (var listener in _listeners)
        {
            listener(value, Options.DefaultName);
        }
    }
}
