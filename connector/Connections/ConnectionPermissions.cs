using System.Collections.Immutable;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Connector.Connections;

/// <summary>What a permission change made of a connection's permissions.</summary>
internal enum PermissionChange
{
    /// <summary>Applied (or it changed nothing: the connection already had it that way).</summary>
    Applied,

    /// <summary>Refused: the connection would hold more per-group grants and revocations than allowed.</summary>
    TooMany,
}

/// <summary>
/// A connection's group permissions (send to a group, join or leave one): first what its token's roles gave, then
/// changed by the REST API's grants and revocations. Per permission it is "every group" or "no group", with
/// exceptions: the groups granted on top of "no group", or revoked from "every group". So a revocation takes away
/// what a role gave too (<c>webpubsub.sendToGroup</c> then a revocation of <c>g</c>: every group but <c>g</c>), a grant
/// or revocation without a group replaces the exceptions, and a revocation of a group the connection had only through
/// a grant removes that grant. Immutable: a change makes a new instance.
/// </summary>
/// <remarks>
/// <see cref="Roles"/> is what travels with the connection's requests (and in its reconnection token): the token's
/// other roles as they were, then per permission the role for every group or one role per granted group. A group
/// revoked from "every group" cannot be written as a role: it is in <see cref="Revoked"/>, which the connector alone
/// enforces (a request for a revoked group is refused before it reaches the functions), and which the reconnection
/// token carries next to the roles.
/// </remarks>
internal sealed class ConnectionPermissions
{
    /// <summary>Per-group grants and revocations one connection may hold, over both permissions.</summary>
    public const int MaxGroupExceptions = 100;

    /// <summary>Characters of group names in those grants and revocations, over both permissions (it bounds the reconnection token).</summary>
    public const int MaxGroupExceptionChars = 4096;

    private static readonly ImmutableHashSet<string> NoGroups = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private readonly string[] _otherRoles;
    private readonly Scope _send;
    private readonly Scope _joinLeave;

    private ConnectionPermissions(string[] otherRoles, Scope send, Scope joinLeave, string[]? roles)
    {
        _otherRoles = otherRoles;
        _send = send;
        _joinLeave = joinLeave;
        Roles = roles ?? [.. otherRoles, .. send.Roles(Permissions.SendToGroup), .. joinLeave.Roles(Permissions.JoinLeaveGroup)];
        var revoked = send.Revoked(Permissions.SendToGroup).Concat(joinLeave.Revoked(Permissions.JoinLeaveGroup)).ToArray();
        Revoked = revoked.Length > 0 ? revoked : null;
    }

    /// <summary>The roles the connection's requests carry: the token's, with the grants and revocations applied (see the remarks).</summary>
    public string[] Roles { get; }

    /// <summary>Groups revoked from an every-group permission, as <c>role.group</c>; null when there are none.</summary>
    public string[]? Revoked { get; }

    /// <summary>
    /// The permissions <paramref name="roles"/> give, less <paramref name="revoked"/> (as <see cref="Revoked"/> wrote
    /// them). <see cref="Roles"/> is then <paramref name="roles"/> itself, until a change.
    /// </summary>
    public static ConnectionPermissions FromRoles(string[] roles, string[]? revoked = null)
    {
        ArgumentNullException.ThrowIfNull(roles);
        var other = new List<string>();
        var send = new Scope(false, NoGroups);
        var joinLeave = new Scope(false, NoGroups);
        foreach (var role in roles)
        {
            if (!Read(role, ref send, Permissions.SendToGroup, grant: true) && !Read(role, ref joinLeave, Permissions.JoinLeaveGroup, grant: true))
            {
                other.Add(role);
            }
        }

        foreach (var role in revoked ?? [])
        {
            _ = Read(role, ref send, Permissions.SendToGroup, grant: false) || Read(role, ref joinLeave, Permissions.JoinLeaveGroup, grant: false);
        }

        return new ConnectionPermissions([.. other], send, joinLeave, revoked is { Length: > 0 } ? null : roles);
    }

    /// <summary>Whether the connection may do <paramref name="permission"/> with <paramref name="group"/>.</summary>
    public bool Allows(GroupPermission permission, string group) => Of(permission).Allows(group);

    /// <summary>Whether it has <paramref name="permission"/> for <paramref name="group"/>, or, when null, for every group.</summary>
    public bool Has(GroupPermission permission, string? group) =>
        group is null ? Of(permission) is { All: true, Exceptions.Count: 0 } : Allows(permission, group);

    /// <summary>
    /// These permissions with <paramref name="permission"/> granted (<paramref name="grant"/>) or revoked for
    /// <paramref name="group"/>, or for every group when it is null; <paramref name="outcome"/> says whether that was
    /// refused, and then this instance is returned unchanged.
    /// </summary>
    public ConnectionPermissions Change(GroupPermission permission, string? group, bool grant, out PermissionChange outcome)
    {
        outcome = PermissionChange.Applied;
        var scope = Of(permission);
        Scope changed;
        if (group is null)
        {
            changed = new Scope(grant, NoGroups);
        }
        else
        {
            // An exception is a group whose answer differs from the scope's "every group" or "no group".
            var exception = grant != scope.All;
            changed = scope with { Exceptions = exception ? scope.Exceptions.Add(group) : scope.Exceptions.Remove(group) };
        }

        if (changed == scope)
        {
            return this;
        }

        var (send, joinLeave) = permission == GroupPermission.SendToGroup ? (changed, _joinLeave) : (_send, changed);
        if (send.Exceptions.Count + joinLeave.Exceptions.Count > MaxGroupExceptions
            || send.Exceptions.Sum(g => g.Length) + joinLeave.Exceptions.Sum(g => g.Length) > MaxGroupExceptionChars)
        {
            outcome = PermissionChange.TooMany;
            return this;
        }

        return new ConnectionPermissions(_otherRoles, send, joinLeave, roles: null);
    }

    private Scope Of(GroupPermission permission) => permission switch
    {
        GroupPermission.SendToGroup => _send,
        GroupPermission.JoinLeaveGroup => _joinLeave,
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "Not a group permission."),
    };

    /// <summary>Applies <paramref name="role"/> to <paramref name="scope"/> when it is <paramref name="prefix"/> or <c>prefix.group</c>.</summary>
    private static bool Read(string role, ref Scope scope, string prefix, bool grant)
    {
        if (role == prefix)
        {
            scope = grant ? new Scope(true, NoGroups) : scope;
            return true;
        }

        if (role.Length <= prefix.Length + 1 || role[prefix.Length] != '.' || !role.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var group = role[(prefix.Length + 1)..];
        // A grant of a group on top of "no group", or a revocation of one from "every group": both are exceptions.
        if (grant != scope.All)
        {
            scope = scope with { Exceptions = scope.Exceptions.Add(group) };
        }

        return true;
    }

    /// <summary>One permission: every group or none, and the groups for which the answer is the other one.</summary>
    private readonly record struct Scope(bool All, ImmutableHashSet<string> Exceptions)
    {
        public bool Allows(string group) => All != Exceptions.Contains(group);

        public IEnumerable<string> Roles(string role) => All ? [role] : Exceptions.Order(StringComparer.Ordinal).Select(g => role + "." + g);

        public IEnumerable<string> Revoked(string role) => All ? Exceptions.Order(StringComparer.Ordinal).Select(g => role + "." + g) : [];

        public bool Equals(Scope other) => All == other.All && Exceptions.SetEquals(other.Exceptions);

        public override int GetHashCode() => HashCode.Combine(All, Exceptions.Count);
    }
}
