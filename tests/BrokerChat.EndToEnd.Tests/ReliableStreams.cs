using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// What a reliable client keeps of the messages it is sent across resumes: a message whose sequence id is above the
/// highest it saw; the rest are repeats it drops.
/// </summary>
internal static class ReliableStreams
{
    /// <summary>Reads until the messages a client keeps (see <see cref="Kept"/>) number <paramref name="count"/>; returns all it read.</summary>
    public static async Task<List<SequencedMessage>> ReadAllAsync(WebPubSubTestClient client, List<SequencedMessage> seen, int count, CancellationToken ct)
    {
        var all = new List<SequencedMessage>(seen);
        while (Kept(all).Count < count)
        {
            all.AddRange(await client.ReadMessagesAsync(1, ct));
        }

        return all;
    }

    /// <summary>What a client keeps: messages whose sequence id is above the highest it saw (the rest are repeats it drops).</summary>
    public static List<SequencedMessage> Kept(List<SequencedMessage> received)
    {
        var kept = new List<SequencedMessage>();
        ulong highest = 0;
        foreach (var message in received)
        {
            if (message.SequenceId > highest)
            {
                highest = message.SequenceId;
                kept.Add(message);
            }
        }

        return kept;
    }

    public static void AssertExactlyOnceInOrder(List<SequencedMessage> received, int count)
    {
        var kept = Kept(received);
        Assert.Equal(Enumerable.Range(1, kept.Count).Select(i => (ulong)i), kept.Select(m => m.SequenceId));
        Assert.Equal(Enumerable.Range(1, count), kept.Select(m => m.N).Order());
        Assert.Equal(kept.Where(m => m.Group == "room").Select(m => m.N).Order(), kept.Where(m => m.Group == "room").Select(m => m.N));
        Assert.Equal(kept.Where(m => m.Group == "lobby").Select(m => m.N).Order(), kept.Where(m => m.Group == "lobby").Select(m => m.N));
    }

    /// <summary>Asserts that a sequence id given more than once (a resume repeating what the client may have seen) always numbered the same message.</summary>
    public static void AssertRepeatsAreTheSameMessages(List<SequencedMessage> received) =>
        Assert.All(received.GroupBy(m => m.SequenceId), numbered => Assert.Single(numbered.Select(m => (m.Group, m.N)).Distinct()));
}
