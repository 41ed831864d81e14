using System.Globalization;
using System.Text;
using System.Text.Json;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Logging;
using Log = BrokerChat.Functions.Hosting.CustomHandler.CustomHandlerLog;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>
/// Runs <see cref="ChatFunction"/> for one custom-handler invocation of the Kafka trigger and writes the answer
/// for the Kafka output binding, with the same outcome per record as the Kafka worker: the same deliveries, the
/// same message ids (from the record's partition and offset, so a redelivered record is recognized), the same key.
/// </summary>
/// <remarks>
/// Each delivery becomes one output record in the form the Kafka output binding turns into a keyed message:
/// <c>{"Offset":0,"Partition":-1,"Topic":"","Timestamp":…,"Key":"&lt;room key&gt;","Value":"&lt;base64&gt;","Headers":[]}</c>.
/// The binding produces its <c>Key</c> and <c>Value</c> as UTF-8 text: the key is the inbound record's key (text
/// already), the value is the base64 text of the exact MessagePack bytes the Kafka worker would produce, which
/// connectors decode (<see cref="ContractSerializer.DeserializeDelivery"/>). A record that is not a request is
/// logged and skipped, like the Kafka worker does, and so is a request read after its connector stopped waiting for it (<see cref="InboundFrame.AnswerBy"/>); an invocation without record positions fails.
/// </remarks>
internal sealed class ChatInvocation(IRequestHandler handler, FunctionsMetrics metrics, TimeProvider timeProvider, ILogger<ChatInvocation> logger)
{
    private const string TextValueHint =
        " (the trigger delivers values as text, which cannot carry MessagePack: set \"dataType\": \"binary\" on the kafkaTrigger binding)";

    /// <summary>
    /// Handles the invocation <paramref name="body"/> with the request handler (the chat function and the
    /// application's hubs), the records as one batch, writing the response to <paramref name="writer"/>. A handler
    /// that throws fails the invocation, which the Functions host retries per the function's retry policy.
    /// </summary>
    /// <exception cref="TriggerPayloadException">The body is not a Kafka trigger invocation this handler can carry out.</exception>
    public async Task InvokeAsync(JsonElement body, string? invocationId, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var records = KafkaTriggerPayload.Read(body, CustomHandlerFunctions.TriggerBinding);
        if (records.Any(r => r.Position is null))
        {
            throw new TriggerPayloadException(
                "A record has no partition and offset (Metadata.Partition/Offset, or PartitionArray/OffsetArray in a batch); message ids cannot be derived without them.");
        }

        var logs = new List<string>();
        var frames = new List<InboundFrame>(records.Count);
        var positions = new List<InboundPosition>(records.Count);
        var keys = new List<byte[]>(records.Count);
        foreach (var record in records)
        {
            var position = record.Position!.Value;
            if (Read(record, out var reason) is not { } frame)
            {
                Log.PoisonRecord(logger, invocationId, position.Partition, position.Offset, reason);
                logs.Add($"Record {position.Partition}@{position.Offset} is not a valid request and was skipped: {reason}");
                metrics.Poison();
                continue;
            }

            if (frame.HasPassedAnswerBy(timeProvider))
            {
                metrics.Expired(); // its connector already answered Timeout: not delivered late, no work spent on it
                continue;
            }

            frames.Add(frame);
            positions.Add(position);
            keys.Add(Encoding.UTF8.GetBytes(record.Key ?? KeyOf(frame)));
        }

        var results = frames.Count == 0 ? [] : await handler.HandleBatchAsync(frames, positions, cancellationToken).ConfigureAwait(false);
        var deliveries = 0;
        writer.WriteStartObject();
        writer.WriteStartObject("Outputs");
        writer.WriteStartArray(CustomHandlerFunctions.OutputBinding);
        for (var i = 0; i < results.Count; i++)
        {
            var outputs = results[i];
            metrics.Processed(outputs.Count > 0 && outputs[0].HasMessage);
            foreach (var delivery in outputs)
            {
                // Keyed by its target like the Kafka worker's: a group message made from an event lands on the room's partition.
                WriteRecord(writer, Encoding.UTF8.GetString(PartitionKeys.ForDelivery(delivery, keys[i])), delivery);
                deliveries++;
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartArray("Logs");
        foreach (var line in logs)
        {
            writer.WriteStringValue(line);
        }

        writer.WriteEndArray();
        writer.WriteNull("ReturnValue");
        writer.WriteEndObject();
        Log.Invoked(logger, invocationId, records.Count, deliveries);
    }

    /// <summary>The key the connector gives a request's record: its room, or its hub and connection for an event.</summary>
    internal static string KeyOf(InboundFrame frame) => Encoding.UTF8.GetString(
        frame.Group is { } group ? PartitionKeys.Room(frame.Hub, group) : PartitionKeys.Connection(frame.Hub, frame.ConnectionId));

    private static InboundFrame? Read(TriggerRecord record, out string problem)
    {
        problem = record.Problem ?? "";
        if (record.Value is not { } value)
        {
            return null;
        }

        try
        {
            return ContractSerializer.DeserializeInbound(value);
        }
        catch (ContractException ex)
        {
            problem = ex.Message + (record.AsText ? TextValueHint : "");
            return null;
        }
    }

    private static void WriteRecord(Utf8JsonWriter writer, string key, Delivery delivery)
    {
        // Offset, Partition and Timestamp must be present for the binding to read the object as a record; it
        // produces to the binding's topic and lets the key choose the partition (-1 = any).
        writer.WriteStartObject();
        writer.WriteNumber("Offset", 0);
        writer.WriteNumber("Partition", -1);
        writer.WriteString("Topic", "");
        writer.WriteString("Timestamp", DateTimeOffset.FromUnixTimeMilliseconds(delivery.ProducedAt).UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("Key", key);
        writer.WriteBase64String("Value", ContractSerializer.Serialize(delivery));
        writer.WriteStartArray("Headers");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
