using BrokerChat.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Tests;

public sealed class FunctionsOptionsTests
{
    [Fact]
    public void DefaultsAreValidAndAsDocumented()
    {
        var options = Resolve([]);

        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), options.MaxRetryDelay);
        Assert.Equal(1_000, options.MaxInFlightPerPartition);
        Assert.Equal(10_000, options.MaxInFlight);
        Assert.Equal(8, options.KeySlotsPerPartition);
        Assert.Equal(64, options.MaxBatchSize);
    }

    [Theory]
    [InlineData("Functions:MaxAttempts", "0")]
    [InlineData("Functions:RetryDelay", "00:00:00")]
    [InlineData("Functions:MaxRetryDelay", "00:00:00.100")]
    [InlineData("Functions:MaxInFlightPerPartition", "20000")]
    [InlineData("Functions:DrainTimeout", "-00:00:01")]
    [InlineData("Functions:KeySlotsPerPartition", "0")]
    [InlineData("Functions:KeySlotsPerPartition", "257")]
    [InlineData("Functions:MaxBatchSize", "0")]
    public void InvalidSettingIsRefusedWithItsName(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(key.Split(':')[1], error.Message, StringComparison.Ordinal);
    }

    private static FunctionsOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddLogging().AddBrokerChatFunctions(configuration, workers: 0).BuildServiceProvider();
        return services.GetRequiredService<IOptions<FunctionsOptions>>().Value;
    }
}
