using BrokerChat.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Tests;

public sealed class FunctionWorkersHealthCheckTests
{
    [Fact]
    public void TheWorkersCheckIsRegisteredOnceTaggedReady()
    {
        var configuration = new ConfigurationBuilder().Build();
        var collection = new ServiceCollection().AddLogging();
        collection.AddBrokerChatFunctions(configuration, workers: 0);
        collection.AddBrokerChatFunctions(configuration, workers: 0);
        using var services = collection.BuildServiceProvider();

        var registration = Assert.Single(services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Equal(FunctionWorkersHealthCheck.Name, registration.Name);
        Assert.Contains(FunctionWorkersHealthCheck.ReadyTag, registration.Tags);
        Assert.Equal("ready", FunctionWorkersHealthCheck.ReadyTag);
    }

    [Fact]
    public async Task NotReadyBeforeKafkaAnswers()
    {
        var configuration = new ConfigurationBuilder().Build();
        using var services = new ServiceCollection().AddLogging().AddBrokerChatFunctions(configuration, workers: 0).BuildServiceProvider();

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(
            r => r.Tags.Contains(FunctionWorkersHealthCheck.ReadyTag), TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("Kafka has not answered yet.", report.Entries[FunctionWorkersHealthCheck.Name].Description);
    }
}
