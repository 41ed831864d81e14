using Mono.Cecil;

namespace BrokerChat.Architecture.Tests;

/// <summary>
/// Which folders of an assembly use which: read from the compiled code (signatures, fields, attributes and every
/// type, method and field a method body names), with a folder being a namespace below the assembly's root namespace
/// (<c>BrokerChat.Connector.Frames</c> is <c>Frames</c>, the root namespace itself is <c>(root)</c>).
/// </summary>
public sealed class FolderGraph
{
    /// <summary>The name of the root namespace's own folder.</summary>
    public const string Root = "(root)";

    private readonly SortedDictionary<string, SortedSet<string>> _edges = new(StringComparer.Ordinal);
    private readonly Dictionary<(string From, string To), SortedSet<string>> _because = [];

    /// <summary>A graph built from edges, for checking the cycle finder itself.</summary>
    public FolderGraph(IEnumerable<(string From, string To)> edges)
    {
        foreach (var (from, to) in edges)
        {
            Add(from, to, $"{from} uses {to}");
        }
    }

    private FolderGraph()
    {
    }

    /// <summary>Every folder that uses another, with the folders it uses.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> Edges => _edges;

    /// <summary>Reads the folder graph of the assembly at <paramref name="assemblyPath"/>, whose folders are below <paramref name="rootNamespace"/>.</summary>
    public static FolderGraph Of(string assemblyPath, string rootNamespace)
    {
        var graph = new FolderGraph();
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        foreach (var type in module.GetTypes())
        {
            if (FolderOf(type, rootNamespace) is not { } from)
            {
                continue;
            }

            foreach (var used in References(type))
            {
                if (FolderOf(used, rootNamespace) is { } to && to != from)
                {
                    graph.Add(from, to, $"{Outermost(type).Name} → {Outermost(used).Name}");
                }
            }
        }

        return graph;
    }

    /// <summary>
    /// The groups of folders that depend on each other in a circle (strongly connected components of more than one
    /// folder), each sorted, in a stable order.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in _edges.GetValueOrDefault(node) ?? [])
            {
                if (!index.TryGetValue(to, out var seen))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);

                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    found.Add(component);
                }
            }
        }

        foreach (var node in _edges.Keys)
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return [.. found.OrderBy(c => c[0], StringComparer.Ordinal)];
    }

    /// <summary>The graph as text, one folder a line, and for every edge inside a cycle the uses that make it.</summary>
    public string Describe()
    {
        var lines = _edges.Select(e => $"{e.Key} → {string.Join(", ", e.Value)}").ToList();
        foreach (var cycle in Cycles())
        {
            lines.Add($"cycle: {string.Join(" ⇄ ", cycle)}");
            foreach (var from in cycle)
            {
                foreach (var to in cycle)
                {
                    if (_because.TryGetValue((from, to), out var reasons))
                    {
                        lines.Add($"  {from} → {to}: {string.Join("; ", reasons.Take(5))}");
                    }
                }
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    private void Add(string from, string to, string because)
    {
        if (!_edges.TryGetValue(from, out var targets))
        {
            _edges[from] = targets = new SortedSet<string>(StringComparer.Ordinal);
        }

        targets.Add(to);
        if (!_because.TryGetValue((from, to), out var reasons))
        {
            _because[(from, to)] = reasons = new SortedSet<string>(StringComparer.Ordinal);
        }

        reasons.Add(because);
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static string? FolderOf(TypeReference type, string rootNamespace)
    {
        var ns = Outermost(type).Namespace;
        if (ns == rootNamespace)
        {
            return Root;
        }

        return ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal) ? ns[(rootNamespace.Length + 1)..] : null;
    }

    private static List<TypeReference> References(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Use(TypeReference? reference)
        {
            switch (reference)
            {
                case null or GenericParameter:
                    return;
                case GenericInstanceType generic:
                    Use(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Use(argument);
                    }

                    return;
                case TypeSpecification specification:
                    Use(specification.ElementType);
                    return;
                default:
                    found.Add(reference);
                    return;
            }
        }

        void UseMethod(MethodReference method)
        {
            Use(method.DeclaringType);
            Use(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Use(parameter.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Use(argument);
                }
            }
        }

        void UseAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Use(attribute.AttributeType);
            }
        }

        Use(type.BaseType);
        UseAttributes(type);
        foreach (var implemented in type.Interfaces)
        {
            Use(implemented.InterfaceType);
        }

        foreach (var field in type.Fields)
        {
            Use(field.FieldType);
            UseAttributes(field);
        }

        foreach (var property in type.Properties)
        {
            Use(property.PropertyType);
        }

        foreach (var method in type.Methods)
        {
            UseMethod(method);
            UseAttributes(method);
            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Use(variable.VariableType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference typeOperand:
                        Use(typeOperand);
                        break;
                    case MethodReference methodOperand:
                        UseMethod(methodOperand);
                        break;
                    case FieldReference fieldOperand:
                        Use(fieldOperand.DeclaringType);
                        Use(fieldOperand.FieldType);
                        break;
                }
            }
        }

        return found;
    }
}
