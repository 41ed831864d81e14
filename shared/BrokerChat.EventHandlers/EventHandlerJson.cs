using System.Text.Json.Serialization;

namespace BrokerChat.EventHandlers;

/// <summary>The JSON bodies this library writes, source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DisconnectedBody))]
internal sealed partial class EventHandlerJson : JsonSerializerContext;
