using BrokerChat.Connector.Filters;

namespace BrokerChat.Connector.Tests;

public sealed class ODataFilterTests
{
    private static readonly FilterSubject Alice = new("c1", "alice", new HashSet<string> { "g1", "it's" });
    private static readonly FilterSubject Anonymous = new("c2", null, new HashSet<string>());

    [Theory]
    [InlineData("userId eq 'alice'", true, false)]
    [InlineData("userId ne 'alice'", false, true)]
    [InlineData("userId eq null", false, true)]
    [InlineData("connectionId eq 'c2' or userId eq 'alice'", true, true)]
    [InlineData("'g1' in groups", true, false)]
    [InlineData("'it''s' in groups and userId eq 'alice'", true, false)]
    [InlineData("not ('g1' in groups)", false, true)]
    [InlineData("userId in ('bob', 'alice')", true, false)]
    [InlineData("connectionId in ('c2')", false, true)]
    [InlineData("connectionId gt 'c1'", false, true)]
    [InlineData("connectionId le 'c1' and not (userId eq null)", true, false)]
    [InlineData("userId lt 'b'", true, false)] // ordering with null is false
    [InlineData("((userId eq 'alice'))", true, false)]
    public void SupportedFiltersSelectTheConnectionsTheyDescribe(string filter, bool matchesAlice, bool matchesAnonymous)
    {
        var parsed = ODataFilter.Parse(filter);

        Assert.Equal((matchesAlice, matchesAnonymous), (parsed.Matches(Alice), parsed.Matches(Anonymous)));
    }

    [Theory]
    [InlineData("startswith(userId, 'a')", "function 'startswith'")]
    [InlineData("length(userId) gt 1", "function 'length'")]
    [InlineData("protocol eq 'json'", "identifier 'protocol'")]
    [InlineData("userId eq 1", "Numbers")]
    [InlineData("userId eq 'open", "not closed")]
    [InlineData("userId", "Expected a comparison")]
    [InlineData("userId has 'a'", "operator 'has'")]
    [InlineData("(userId eq 'a'", "')'")]
    [InlineData("userId eq 'a' userId", "Unexpected")]
    [InlineData("groups eq 'a'", "'groups'")]
    [InlineData("userId eq 'a' and", "ends too early")]
    [InlineData("userId eq 'a' & 1", "character '&'")]
    public void UnsupportedOrMalformedFiltersAreRefusedWithAReason(string filter, string reason)
    {
        var error = Assert.Throws<FilterException>(() => ODataFilter.Parse(filter));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeeplyNestedOrOverlongFiltersAreRefused()
    {
        Assert.Throws<FilterException>(() => ODataFilter.Parse(new string('(', 100) + "userId eq 'a'" + new string(')', 100)));
        Assert.Throws<FilterException>(() => ODataFilter.Parse("userId eq '" + new string('a', ODataFilter.MaxLength) + "'"));
        Assert.Throws<FilterException>(() => ODataFilter.Parse(string.Concat(Enumerable.Repeat("not ", 100)) + "userId eq 'a'"));
    }
}
