using System.Buffers;
using MessagePack;

namespace BrokerChat.Client.Tests.Fakes;

/// <summary>
/// The fake server's own MessagePack reader and writer, independent of the client's codec: maps with str keys,
/// values str → string, bin → byte[], int → ulong (or long when negative), bool, nil, nested map.
/// </summary>
public static class MsgPack
{
    public static IReadOnlyDictionary<string, object?> ReadMap(byte[] payload)
    {
        var reader = new MessagePackReader(payload);
        var map = (Dictionary<string, object?>)ReadValue(ref reader)!;
        Assert.True(reader.End, "one map per WebSocket message");
        return map;
    }

    /// <summary>Asserts that <paramref name="map"/> has exactly the <paramref name="expected"/> keys, with those values.</summary>
    public static void AssertMap(IReadOnlyDictionary<string, object?> map, params (string Key, object? Value)[] expected)
    {
        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), map.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value, map[key]);
        }
    }

    public static byte[] WriteMap(params (string Key, object? Value)[] fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        WriteMap(ref writer, fields);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"type":type,"x":{"x":{…}}}</c> with <paramref name="depth"/> nested maps, deeper than a reader should follow.</summary>
    public static byte[] Nested(string type, int depth)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.Write("type");
        writer.Write(type);
        for (var i = 0; i < depth; i++)
        {
            writer.Write("x");
            writer.WriteMapHeader(1);
        }

        writer.Write("x");
        writer.WriteNil();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMap(ref MessagePackWriter writer, (string Key, object? Value)[] fields)
    {
        writer.WriteMapHeader(fields.Length);
        foreach (var (key, value) in fields)
        {
            writer.Write(key);
            switch (value)
            {
                case null: writer.WriteNil(); break;
                case string s: writer.Write(s); break;
                case byte[] b: writer.Write(b); break;
                case bool b: writer.Write(b); break;
                case ulong u: writer.Write(u); break;
                case int i: writer.Write(i); break;
                case (string, object?)[] nested: WriteMap(ref writer, nested); break;
                default: throw new ArgumentException($"Unsupported value {value}.");
            }
        }
    }

    private static object? ReadValue(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var count = reader.ReadMapHeader();
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < count; i++)
                {
                    Assert.Equal(MessagePackType.String, reader.NextMessagePackType);
                    var key = reader.ReadString()!;
                    map.Add(key, ReadValue(ref reader));
                }

                return map;
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytes()!.Value.ToArray();
            case MessagePackType.Integer:
                return reader.ReadUInt64();
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            default:
                throw new InvalidOperationException($"Unexpected {reader.NextMessagePackType}.");
        }
    }
}
