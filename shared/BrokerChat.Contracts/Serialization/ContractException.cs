namespace BrokerChat.Contracts.Serialization;

/// <summary>Raised when bytes read from Kafka are not a valid BrokerChat contract.</summary>
public sealed class ContractException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContractException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
