using System.Buffers.Binary;
using System.Text;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>
/// Makes hostile inputs from a seeded <see cref="Random"/>, so a run is repeated exactly from its seed: random bytes,
/// and mutations of valid inputs, generic (bit flips, truncation, splicing, repeats, invalid UTF-8) and aware of the
/// input's shape (deep nesting, declared lengths far beyond the input, wrong types, big numbers, duplicate keys, long
/// strings). A mutation is sometimes applied to the result of another, so combinations are reached too.
/// </summary>
internal sealed class InputGenerator(int seed, InputShape shape, IReadOnlyList<byte[]> seeds)
{
    /// <summary>The longest input made: past the token limits (16 KiB); larger frames are refused before any parser sees them.</summary>
    public const int MaxLength = 80 * 1024;

    private static readonly byte[][] s_invalidUtf8 =
    [
        [0xC3, 0x28], [0x80], [0xBF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
    ];

    private static readonly string[] s_jsonValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "18446744073709551615", "18446744073709551616",
        "-9223372036854775809", "9223372036854775807", "00", "1e", "-", "[]", "{}", "[1,2,3]", "{\"a\":{\"b\":[]}}",
        "\"\"", "\"x\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\x\"", "\"\\\"", "\"AAAA\"", "\"!!!!\"",
        "\"joinGroup\"", "\"sendToGroup\"", "\"editMessage\"", "\"deleteMessage\"", "\"event\"", "\"binary\"", "\"text\"", "\"json\"", "NaN", "Infinity", "'x'",
    ];

    private static readonly string[] s_jsonKeys =
    [
        "type", "group", "ackId", "dataType", "data", "noEcho", "event", "sequenceId", "history", "presence", "messageId",
        "exp", "nbf", "aud", "sub", "role", "webpubsub.group", "alg", "Data", "Metadata", "request", "Partition",
        "Offset", "Key", "Value", "PartitionArray", "OffsetArray", "KeyArray",
    ];

    // MessagePack codes worth landing on: nil, never-used, booleans, the widest ints, floats, every length-prefixed family.
    private static readonly byte[] s_msgpackCodes =
    [
        0xC0, 0xC1, 0xC2, 0xC3, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD3, 0xCA, 0xCB, 0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6,
        0xDC, 0xDD, 0xDE, 0xDF, 0xC7, 0xC8, 0xC9, 0xD4, 0xD8, 0x90, 0x9F, 0x80, 0x8F, 0xA0, 0xBF, 0x7F, 0xE0, 0xFF,
    ];

    private readonly Random _random = new(seed);

    /// <summary>The next input.</summary>
    public byte[] Next()
    {
        var roll = _random.Next(100);
        if (roll < 8 || seeds.Count == 0)
        {
            return RandomBytes(_random.Next(4) == 0 ? _random.Next(4096) : _random.Next(64));
        }

        var input = Pick();
        var rounds = roll < 70 ? 1 : _random.Next(2, 5);
        for (var i = 0; i < rounds; i++)
        {
            input = Mutate(input);
            if (input.Length > MaxLength)
            {
                input = input[..MaxLength];
            }
        }

        return input;
    }

    private byte[] Mutate(byte[] input)
    {
        var generic = 9;
        var specific = shape switch { InputShape.Json => 8, InputShape.MessagePack => 6, InputShape.Text => 4, _ => 0 };
        var choice = _random.Next(generic + specific);
        return choice switch
        {
            0 => FlipBits(input),
            1 => Truncate(input),
            2 => Splice(input, Pick()),
            3 => Insert(input, Chunk(Pick())),
            4 => Repeat(input),
            5 => Insert(input, s_invalidUtf8[_random.Next(s_invalidUtf8.Length)]),
            6 => SetByte(input),
            7 => Delete(input),
            8 => Insert(input, RandomBytes(_random.Next(1, 16))),
            _ => shape switch
            {
                InputShape.Json => MutateJson(input, choice - generic),
                InputShape.MessagePack => MutateMessagePack(input, choice - generic),
                _ => MutateText(input, choice - generic),
            },
        };
    }

    private byte[] MutateJson(byte[] input, int choice) => choice switch
    {
        0 => Nest(input, "[", "]", closed: _random.Next(3) > 0),
        1 => Nest(input, "{\"a\":", "}", closed: _random.Next(3) > 0),
        2 => ReplaceJsonValue(input, s_jsonValues[_random.Next(s_jsonValues.Length)]),
        3 => ReplaceJsonValue(input, "\"" + new string((char)('a' + _random.Next(26)), Length()) + "\""),
        4 => ReplaceJsonValue(input, "1" + new string('9', _random.Next(20, 2000))),
        5 => Insert(input, Encoding.UTF8.GetBytes($"\"{s_jsonKeys[_random.Next(s_jsonKeys.Length)]}\":{s_jsonValues[_random.Next(s_jsonValues.Length)]},"), after: (byte)'{'),
        6 => DuplicateKeys(input),
        _ => ReplaceJsonValue(input, NestedValue()),
    };

    private byte[] MutateMessagePack(byte[] input, int choice)
    {
        switch (choice)
        {
            case 0:
                return Insert(input, HugeHeader());
            case 1:
                var depth = DeepCount();
                var nested = new byte[depth + 1];
                nested.AsSpan(0, depth).Fill(_random.Next(2) == 0 ? (byte)0x91 : (byte)0xDC);
                if (nested[0] == 0xDC)
                {
                    // array16 of one element, repeated: 0xDC 0x00 0x01 per level.
                    nested = [.. Tile([0xDC, 0x00, 0x01], depth), 0xC0];
                }

                return _random.Next(2) == 0 ? nested : Insert(input, nested);
            case 2:
                return Insert(input, [.. Tile([0x81, 0xA1, (byte)'a'], DeepCount()), 0xC0]);
            case 3:
                var copy = (byte[])input.Clone();
                if (copy.Length > 0)
                {
                    copy[_random.Next(copy.Length)] = s_msgpackCodes[_random.Next(s_msgpackCodes.Length)];
                }

                return copy;
            case 4:
                return Insert(input, [0xCF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
            default:
                var text = Encoding.UTF8.GetBytes(new string('x', Length()));
                var header = new byte[5];
                header[0] = 0xDB;
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), text.Length);
                return Insert(input, [.. header, .. text]);
        }
    }

    private byte[] MutateText(byte[] input, int choice) => choice switch
    {
        0 => SetByte(input, "._-+/=%\0 \u00e9"u8.ToArray()),
        1 => Insert(input, "."u8.ToArray()),
        2 => Insert(input, Encoding.ASCII.GetBytes(new string('A', Length()))),
        _ => Insert(input, Encoding.UTF8.GetBytes("\u00e9\ud83d\ude00")),
    };

    private byte[] Pick() => seeds[_random.Next(seeds.Count)];

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A length for a long string: mostly beyond what a field should hold, sometimes beyond the frame limits.</summary>
    private int Length() => _random.Next(8) == 0 ? _random.Next(16 * 1024, 72 * 1024) : _random.Next(200, 8_000);

    private int DeepCount() => _random.Next(4) == 0 ? _random.Next(1000, 20_000) : _random.Next(10, 200);

    private static byte[] Tile(ReadOnlySpan<byte> chunk, int times)
    {
        var tiled = new byte[chunk.Length * times];
        for (var at = 0; at < tiled.Length; at += chunk.Length)
        {
            chunk.CopyTo(tiled.AsSpan(at));
        }

        return tiled;
    }

    private int Position(byte[] input) => input.Length == 0 ? 0 : _random.Next(input.Length + 1);

    private byte[] FlipBits(byte[] input)
    {
        var copy = (byte[])input.Clone();
        for (var n = _random.Next(1, 4); n > 0 && copy.Length > 0; n--)
        {
            copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
        }

        return copy;
    }

    private byte[] SetByte(byte[] input, byte[]? choices = null)
    {
        var copy = (byte[])input.Clone();
        if (copy.Length > 0)
        {
            choices ??= [0x00, 0xFF, 0x7F, 0x80, 0xC0, 0xC1, (byte)'"', (byte)'{', (byte)'[', (byte)'\\', (byte)',', (byte)':'];
            copy[_random.Next(copy.Length)] = choices[_random.Next(choices.Length)];
        }

        return copy;
    }

    private byte[] Chunk(byte[] source)
    {
        var start = _random.Next(source.Length + 1);
        return source.AsSpan(start, Math.Min(source.Length - start, _random.Next(1, 64))).ToArray();
    }

    private byte[] Truncate(byte[] input) => input.Length == 0 ? input : input[.._random.Next(input.Length)];

    private byte[] Delete(byte[] input)
    {
        if (input.Length == 0)
        {
            return input;
        }

        var start = _random.Next(input.Length);
        var end = Math.Min(input.Length, start + _random.Next(1, 32));
        return [.. input.AsSpan(0, start), .. input.AsSpan(end)];
    }

    private byte[] Splice(byte[] a, byte[] b) => [.. a.AsSpan(0, Position(a)), .. b.AsSpan(Position(b))];

    private byte[] Insert(byte[] input, byte[] chunk, byte? after = null)
    {
        var at = Position(input);
        if (after is { } marker && Array.IndexOf(input, marker) is var found and >= 0)
        {
            at = found + 1;
        }

        return [.. input.AsSpan(0, at), .. chunk, .. input.AsSpan(at)];
    }

    private byte[] Repeat(byte[] input)
    {
        if (input.Length == 0)
        {
            return input;
        }

        var start = _random.Next(input.Length);
        var chunk = input.AsSpan(start, Math.Min(input.Length - start, _random.Next(1, 64))).ToArray();
        var times = _random.Next(2) == 0 ? _random.Next(2, 10) : _random.Next(100, 1000);
        var at = start + chunk.Length;
        return [.. input.AsSpan(0, at), .. Tile(chunk, times), .. input.AsSpan(at)];
    }

    private byte[] Nest(byte[] input, string open, string close, bool closed)
    {
        var depth = DeepCount();
        var head = Tile(Encoding.ASCII.GetBytes(open), depth);
        var tail = closed ? Tile(Encoding.ASCII.GetBytes(close), depth) : [];
        return _random.Next(2) == 0
            ? [.. head, .. input, .. tail]
            : ReplaceJsonValue(input, Encoding.ASCII.GetString(head) + "1" + Encoding.ASCII.GetString(tail));
    }

    private string NestedValue()
    {
        var depth = _random.Next(2, 40);
        return string.Concat(Enumerable.Repeat("{\"k\":[", depth)) + "1" + string.Concat(Enumerable.Repeat("]}", depth));
    }

    /// <summary>Replaces the value after a randomly chosen <c>:</c> (up to the next <c>,</c> or <c>}</c>) with <paramref name="value"/>.</summary>
    private byte[] ReplaceJsonValue(byte[] input, string value)
    {
        var colons = new List<int>();
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] == (byte)':')
            {
                colons.Add(i);
            }
        }

        if (colons.Count == 0)
        {
            return Encoding.UTF8.GetBytes(value);
        }

        var start = colons[_random.Next(colons.Count)] + 1;
        var end = start;
        while (end < input.Length && input[end] is not ((byte)',' or (byte)'}'))
        {
            end++;
        }

        return [.. input.AsSpan(0, start), .. Encoding.UTF8.GetBytes(value), .. input.AsSpan(end)];
    }

    private byte[] DuplicateKeys(byte[] input)
    {
        var key = s_jsonKeys[_random.Next(s_jsonKeys.Length)];
        var pair = $"\"{key}\":{s_jsonValues[_random.Next(s_jsonValues.Length)]},";
        var times = _random.Next(2) == 0 ? 2 : _random.Next(100, 2000);
        return Insert(input, Tile(Encoding.UTF8.GetBytes(pair), times), after: (byte)'{');
    }

    /// <summary>A str, bin, array, map or ext header declaring far more than follows.</summary>
    private byte[] HugeHeader()
    {
        byte[] codes = [0xDB, 0xC6, 0xDD, 0xDF, 0xC9, 0xDA, 0xC5, 0xDC, 0xDE, 0xD9];
        var code = codes[_random.Next(codes.Length)];
        var header = new byte[5];
        header[0] = code;
        uint length = _random.Next(3) switch { 0 => uint.MaxValue, 1 => int.MaxValue, _ => (uint)_random.Next(1 << 16, 1 << 30) };
        switch (code)
        {
            case 0xDB or 0xC6 or 0xDD or 0xDF:
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), length);
                return header;
            case 0xC9:
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), length);
                return [.. header, 0x01];
            case 0xD9:
                return [code, 0xFF];
            default:
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(1), ushort.MaxValue);
                return header[..3];
        }
    }
}
