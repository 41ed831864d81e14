using System.Text;

namespace BrokerChat.Connector.Filters;

/// <summary>What a filter is evaluated against: one connection.</summary>
/// <param name="ConnectionId">The connection id.</param>
/// <param name="UserId">The user id, or null for an anonymous connection.</param>
/// <param name="Groups">The groups the connection is in.</param>
internal readonly record struct FilterSubject(string ConnectionId, string? UserId, IReadOnlySet<string> Groups);

/// <summary>A filter the REST API does not understand; its message says why (it becomes a 400).</summary>
internal sealed class FilterException(string message) : Exception(message);

/// <summary>
/// The subset of the OData <c>filter</c> syntax of the Web PubSub REST API that BrokerChat evaluates: the identifiers
/// <c>connectionId</c> and <c>userId</c> (strings, null when anonymous) and <c>groups</c> (a collection); string literals
/// in single quotes (a quote doubled to escape it) and <c>null</c>; the comparisons <c>eq ne gt ge lt le</c> (ordinal);
/// <c>'g1' in groups</c> and <c>userId in ('a', 'b')</c>; <c>and</c>, <c>or</c>, <c>not</c> and parentheses. Anything
/// else (functions such as <c>startswith</c>, numbers, other identifiers) is refused with a message naming it.
/// </summary>
internal sealed class ODataFilter
{
    /// <summary>Longest filter accepted, in characters.</summary>
    public const int MaxLength = 4096;

    private const int MaxDepth = 32;
    private readonly Node _root;

    private ODataFilter(Node root) => _root = root;

    /// <summary>Parses a filter; throws <see cref="FilterException"/> when it is not in the supported subset.</summary>
    public static ODataFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new FilterException($"The filter is longer than {MaxLength} characters.");
        }

        var parser = new Parser(Tokenize(text));
        var root = parser.ParseOr(0);
        if (!parser.AtEnd)
        {
            throw new FilterException($"Unexpected '{parser.Peek.Text}' in the filter.");
        }

        return new ODataFilter(root);
    }

    /// <summary>Whether the connection passes the filter.</summary>
    public bool Matches(FilterSubject subject) => _root.Evaluate(subject);

    private enum TokenKind { Word, String, Open, Close, Comma }

    private readonly record struct Token(TokenKind Kind, string Text);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')' or ',')
            {
                tokens.Add(new Token(c == '(' ? TokenKind.Open : c == ')' ? TokenKind.Close : TokenKind.Comma, c.ToString()));
                i++;
            }
            else if (c == '\'')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FilterException("A string literal in the filter is not closed.");
                    }

                    if (text[i] == '\'')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '\'')
                        {
                            value.Append('\'');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    value.Append(text[i++]);
                }

                tokens.Add(new Token(TokenKind.String, value.ToString()));
            }
            else if (char.IsAsciiLetterOrDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, text[start..i]));
            }
            else
            {
                throw new FilterException($"Unexpected character '{c}' in the filter; only string comparisons, 'in', and, or, not and parentheses are supported.");
            }
        }

        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _position;

        public bool AtEnd => _position >= tokens.Count;

        public Token Peek => AtEnd ? throw new FilterException("The filter ends too early.") : tokens[_position];

        public Node ParseOr(int depth)
        {
            var left = ParseAnd(depth);
            while (IsWord("or"))
            {
                _position++;
                left = new Or(left, ParseAnd(depth));
            }

            return left;
        }

        private Node ParseAnd(int depth)
        {
            var left = ParseUnary(depth);
            while (IsWord("and"))
            {
                _position++;
                left = new And(left, ParseUnary(depth));
            }

            return left;
        }

        private Node ParseUnary(int depth)
        {
            if (depth > MaxDepth)
            {
                throw new FilterException($"The filter nests deeper than {MaxDepth} levels.");
            }

            if (IsWord("not"))
            {
                _position++;
                return new Not(ParseUnary(depth + 1));
            }

            if (Peek.Kind == TokenKind.Open)
            {
                _position++;
                var inner = ParseOr(depth + 1);
                Expect(TokenKind.Close, "')'");
                return inner;
            }

            var left = ParseOperand();
            if (AtEnd || Peek.Kind != TokenKind.Word)
            {
                throw new FilterException($"Expected a comparison after '{Describe(left)}'.");
            }

            var op = tokens[_position++];
            if (op.Text == "in")
            {
                if (IsWord("groups"))
                {
                    _position++;
                    return left is Literal { Text: { } group } ? new InGroups(group) : throw new FilterException("Only a string literal can be tested with 'in groups'.");
                }

                Expect(TokenKind.Open, "'(' or 'groups' after 'in'");
                var values = new List<string?>();
                do
                {
                    values.Add(ParseOperand() is Literal literal ? literal.Text : throw new FilterException("The list after 'in' may hold only literals."));
                }
                while (TryTake(TokenKind.Comma));
                Expect(TokenKind.Close, "')'");
                return new InList(left, values);
            }

            var comparison = op.Text switch
            {
                "eq" => Comparison.Eq,
                "ne" => Comparison.Ne,
                "gt" => Comparison.Gt,
                "ge" => Comparison.Ge,
                "lt" => Comparison.Lt,
                "le" => Comparison.Le,
                _ => throw new FilterException($"The filter operator '{op.Text}' is not supported; use eq, ne, gt, ge, lt, le or in."),
            };
            return new Compare(left, comparison, ParseOperand());
        }

        private Node ParseOperand()
        {
            var token = Peek;
            _position++;
            if (token.Kind == TokenKind.String)
            {
                return new Literal(token.Text);
            }

            if (token.Kind == TokenKind.Word)
            {
                switch (token.Text)
                {
                    case "null":
                        return new Literal(null);
                    case "connectionId" or "userId":
                        return new Identifier(token.Text);
                    case "groups":
                        throw new FilterException("'groups' can only be used as in \"'name' in groups\".");
                }

                if (char.IsAsciiDigit(token.Text[0]))
                {
                    throw new FilterException($"Numbers such as {token.Text} are not supported in filters; connectionId and userId are strings.");
                }

                if (!AtEnd && tokens[_position].Kind == TokenKind.Open)
                {
                    throw new FilterException($"The filter function '{token.Text}' is not supported.");
                }

                throw new FilterException($"The filter identifier '{token.Text}' is not supported; use connectionId, userId or groups.");
            }

            throw new FilterException($"Unexpected '{token.Text}' in the filter.");
        }

        private bool IsWord(string word) => !AtEnd && tokens[_position] is { Kind: TokenKind.Word } t && t.Text == word;

        private bool TryTake(TokenKind kind)
        {
            if (!AtEnd && tokens[_position].Kind == kind)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void Expect(TokenKind kind, string what)
        {
            if (!TryTake(kind))
            {
                throw new FilterException($"Expected {what} in the filter.");
            }
        }

        private static string Describe(Node node) => node switch
        {
            Identifier id => id.Name,
            Literal { Text: null } => "null",
            Literal literal => $"'{literal.Text}'",
            _ => "the expression",
        };
    }

    private enum Comparison { Eq, Ne, Gt, Ge, Lt, Le }

    private abstract class Node
    {
        public abstract bool Evaluate(FilterSubject subject);

        public virtual string? Value(FilterSubject subject) => throw new FilterException("A comparison is not a value.");
    }

    private sealed class Identifier(string name) : Node
    {
        public string Name => name;

        public override bool Evaluate(FilterSubject subject) => throw new FilterException($"'{name}' is not a condition; compare it with eq, ne or in.");

        public override string? Value(FilterSubject subject) => name == "connectionId" ? subject.ConnectionId : subject.UserId;
    }

    private sealed class Literal(string? value) : Node
    {
        public string? Text => value;

        public override bool Evaluate(FilterSubject subject) => throw new FilterException("A literal is not a condition.");

        public override string? Value(FilterSubject subject) => value;
    }

    private sealed class Compare(Node left, Comparison comparison, Node right) : Node
    {
        public override bool Evaluate(FilterSubject subject)
        {
            var a = left.Value(subject);
            var b = right.Value(subject);
            return comparison switch
            {
                Comparison.Eq => string.Equals(a, b, StringComparison.Ordinal),
                Comparison.Ne => !string.Equals(a, b, StringComparison.Ordinal),
                // Ordering with null is false either way, as in OData.
                _ when a is null || b is null => false,
                Comparison.Gt => string.CompareOrdinal(a, b) > 0,
                Comparison.Ge => string.CompareOrdinal(a, b) >= 0,
                Comparison.Lt => string.CompareOrdinal(a, b) < 0,
                _ => string.CompareOrdinal(a, b) <= 0,
            };
        }
    }

    private sealed class InGroups(string group) : Node
    {
        public override bool Evaluate(FilterSubject subject) => subject.Groups.Contains(group);
    }

    private sealed class InList(Node operand, List<string?> values) : Node
    {
        public override bool Evaluate(FilterSubject subject)
        {
            var value = operand.Value(subject);
            return values.Exists(v => string.Equals(v, value, StringComparison.Ordinal));
        }
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Evaluate(FilterSubject subject) => !inner.Evaluate(subject);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Evaluate(FilterSubject subject) => left.Evaluate(subject) && right.Evaluate(subject);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(FilterSubject subject) => left.Evaluate(subject) || right.Evaluate(subject);
    }
}
