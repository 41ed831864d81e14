using BrokerChat.EndToEnd.Tests;
using BrokerChat.Testing;

[assembly: AssemblyFixture(typeof(KafkaForTheRun))]

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The Kafka of this test run (<see cref="TestKafka"/>): named once in the output when the run starts, started
/// before the first test when it is a container, and stopped when the run ends.
/// </summary>
public sealed class KafkaForTheRun : IAsyncLifetime
{
    public async ValueTask InitializeAsync()
    {
        var choice = TestKafka.Current;
        TestContext.Current.SendDiagnosticMessage(choice.Describe());
        await TestKafka.BootstrapServersAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await TestKafka.StopAsync();

    /// <summary>Skips the calling test unless the run uses the embedded cluster, saying what the test needs from it.</summary>
    public static void RequireEmbedded(string needs) =>
        Assert.SkipUnless(TestKafka.Current.IsEmbedded, $"Needs the embedded Kafka ({needs}); this run uses {TestKafka.Current.Describe()}.");
}
