namespace BrokerChat.EndToEnd.Tests;

/// <summary>Functions that retry a failing request for a long while (100 tries) before giving up on it.</summary>
public sealed class PatientFunctionsFixture : FailingFunctionsFixture
{
    protected override int Attempts => 100;
}
