namespace BrokerChat.Functions;

/// <summary>Why a request was rejected: the ack error's <c>name</c> and <c>message</c>.</summary>
/// <param name="Name">The ack error's name, one of <see cref="BrokerChat.Contracts.Messages.AckErrorNames"/>.</param>
/// <param name="Message">The ack error's message, for the sender.</param>
public readonly record struct Rejection(string Name, string Message);
