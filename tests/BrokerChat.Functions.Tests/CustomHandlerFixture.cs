using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting.CustomHandler;
using BrokerChat.Functions.Hubs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

/// <summary>One custom handler for <see cref="CustomHandlerTests"/>, on a kernel-chosen loopback port, with a fixed clock, a blocked word and the application hub <see cref="Hubs.ShopHub"/>.</summary>
public sealed class CustomHandlerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public ChatFunction Function { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        _app = CustomHandlerApp.Build(
            ["--Functions:Host", "CustomHandler", "--Functions:CustomHandler:Port", "0", "--Functions:Moderation:MessagesPerSecond", "0", "--Functions:Hubs:chat:BlockedWords:0", "darn", "--Logging:LogLevel:Default", "Critical"],
            services => services.AddSingleton<TimeProvider>(clock)
                .AddSingleton<Hubs.Calls>()
                .AddScoped<Hubs.PerInvocation>()
                .AddBrokerChatHub<Hubs.ShopHub>());
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Function = _app.Services.GetRequiredService<ChatFunction>();
        Client = new HttpClient { BaseAddress = new Uri(CustomHandlerApp.Addresses(_app)[0]), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
        }
    }
}
