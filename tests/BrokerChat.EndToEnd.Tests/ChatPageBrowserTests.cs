using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>The chat page served at <c>/</c>, in headless Chromium: two people chat, the server restarts, they chat on.</summary>
public sealed class ChatPageBrowserTests
{
    /// <summary>Environment variable naming the Chromium executable. The default is <c>chromium</c> on the PATH.</summary>
    public const string ChromiumVariable = "BROKERCHAT_CHROMIUM";

    /// <summary>How long one step in the page (connecting, a message arriving) may take.</summary>
    private const float StepTimeoutMs = 15_000;

    [Fact(Timeout = 60_000)]
    public async Task TwoPagesChatBothWaysAndCarryOnAfterTheServerRestarts()
    {
        var ct = TestContext.Current.CancellationToken;
        var chromium = FindChromium();
        var port = FreeLoopbackPort();
        var settings = new HostSettings
        {
            Urls = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            Connector = { ShutdownTimeout = TimeSpan.FromSeconds(2) },
        };
        var host = await BrokerChatHost.StartAsync(settings);
        try
        {
            using var playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(30), ct);
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Timeout = StepTimeoutMs }).WaitAsync(ct);
            var alice = await OpenChatAsync(browser, host.BaseUri, "lobby", "alice", ct);
            var bob = await OpenChatAsync(browser, host.BaseUri, "lobby", "bob", ct);

            await SayAsync(alice, bob, "alice", "hello bob", ct);
            await SayAsync(bob, alice, "bob", "hi alice", ct);

            // A restart: the connector says goodbye (1012), goes away, and a new one comes up on the same port.
            var restart = Stopwatch.StartNew();
            await host.DisposeAsync();
            await Task.WhenAll(WaitForStatusAsync(alice, "Reconnecting", ct), WaitForStatusAsync(bob, "Reconnecting", ct));
            host = await BrokerChatHost.StartAsync(settings);
            await Task.WhenAll(WaitForStatusAsync(alice, "Connected as alice", ct), WaitForStatusAsync(bob, "Connected as bob", ct));
            TestContext.Current.TestOutputHelper?.WriteLine($"Both pages were connected again {restart.ElapsedMilliseconds} ms after the restart began.");

            await SayAsync(bob, alice, "bob", "still there?", ct);
            await SayAsync(alice, bob, "alice", "yes, still here", ct);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SwitchingRoomsLeavesExactlyOneConnectionThatStaysUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var chromium = FindChromium();
        await using var host = await BrokerChatHost.StartAsync();
        var connections = host.Services.GetRequiredService<ConnectionIndex>();
        using var playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Timeout = StepTimeoutMs }).WaitAsync(ct);
        // Carol's page runs on a clock the test moves, so a reconnect it schedules by mistake happens when the test says.
        var carol = await OpenChatAsync(browser, host.BaseUri, "lobby", "carol", ct, fakeClock: true);
        var dave = await OpenChatAsync(browser, host.BaseUri, "garden", "dave", ct);
        var first = Assert.Single(connections.GroupMembers("chat", "lobby"));

        await JoinAsync(carol, "garden", "carol", ct);
        await Wait.UntilAsync(() => connections.Count == 2 && !connections.All.Contains(first) && connections.GroupMembers("chat", "garden").Length == 2, ct);
        await SayAsync(dave, carol, "dave", "welcome to the garden", ct);
        await carol.Clock.RunForAsync(60_000).WaitAsync(ct);

        Assert.Contains("Connected as carol", await carol.InnerTextAsync("#status").WaitAsync(ct), StringComparison.Ordinal);
        Assert.True(await carol.IsEnabledAsync("#send input[name=text]").WaitAsync(ct));
        await SayAsync(carol, dave, "carol", "thanks", ct);
        await SayAsync(dave, carol, "dave", "once only", ct);
        Assert.Equal(1, await carol.Locator("#log li", new() { HasText = "once only" }).CountAsync().WaitAsync(ct));
        Assert.Equal(2, connections.Count);
    }

    /// <summary>Opens the page, joins <paramref name="room"/> as <paramref name="name"/> and waits until it is connected.</summary>
    private static async Task<IPage> OpenChatAsync(IBrowser browser, Uri baseUri, string room, string name, CancellationToken ct, bool fakeClock = false)
    {
        var page = await browser.NewPageAsync().WaitAsync(ct);
        page.SetDefaultTimeout(StepTimeoutMs);
        if (fakeClock)
        {
            // Installed and paused: the page's timers fire only when the test runs the clock.
            // Installed at a fixed time and paused ten seconds later, so the pause is never behind the running fake clock.
            var start = DateTime.UtcNow;
            await page.Clock.InstallAsync(new ClockInstallOptions { TimeDate = start }).WaitAsync(ct);
            await page.Clock.PauseAtAsync(start.AddSeconds(10)).WaitAsync(ct);
        }

        await page.GotoAsync(baseUri.ToString()).WaitAsync(ct);
        await JoinAsync(page, room, name, ct);
        return page;
    }

    /// <summary>Joins a room from the page's form and waits until the page is connected in it.</summary>
    private static async Task JoinAsync(IPage page, string room, string name, CancellationToken ct)
    {
        await page.FillAsync("#join input[name=room]", room).WaitAsync(ct);
        await page.FillAsync("#join input[name=name]", name).WaitAsync(ct);
        await page.ClickAsync("#joinButton").WaitAsync(ct);
        await WaitForStatusAsync(page, $"Connected as {name} (connection", ct);
        await WaitForStatusAsync(page, $"in room \"{room}\"", ct);
        await page.Locator("#send input[name=text]:enabled").WaitForAsync().WaitAsync(ct);
    }

    /// <summary>Sends <paramref name="text"/> from one page; the server confirms it and the other page shows it under the sender's name.</summary>
    private static async Task SayAsync(IPage from, IPage to, string sender, string text, CancellationToken ct)
    {
        await from.Locator("#send input[name=text]:enabled").FillAsync(text).WaitAsync(ct);
        await from.ClickAsync("#sendButton").WaitAsync(ct);
        await from.Locator("#log li", new() { HasText = $"(you) {text}" }).Locator(".state", new() { HasText = "✓" }).WaitForAsync().WaitAsync(ct);
        var shown = to.Locator("#log li", new() { HasText = text });
        await shown.WaitForAsync().WaitAsync(ct);
        Assert.Equal(sender, await shown.Locator(".who").InnerTextAsync().WaitAsync(ct));
    }

    private static Task WaitForStatusAsync(IPage page, string text, CancellationToken ct) =>
        page.Locator("#status", new() { HasText = text }).WaitForAsync().WaitAsync(ct);

    /// <summary>The Chromium to drive: <see cref="ChromiumVariable"/>, else <c>chromium</c> on the PATH (Debian's package, which <c>.ci/run</c> installs).</summary>
    private static string FindChromium()
    {
        if (Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } named)
        {
            Assert.True(File.Exists(named), $"{ChromiumVariable} names {named}, which does not exist.");
            return named;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "chromium"))
            .FirstOrDefault(File.Exists);
        Assert.True(onPath is not null,
            "Chromium is not installed, so the chat page cannot be tested in a browser. Install Debian's package (apt-get install chromium; " +
            $".ci/run does this when it runs as root) or set {ChromiumVariable} to a Chromium executable.");
        return onPath;
    }

    /// <summary>A port free on 127.0.0.1 now, so the restarted server can come back on the same address.</summary>
    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
