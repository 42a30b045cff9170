using System.ComponentModel.DataAnnotations;

namespace Jobs.Reporting.Security;

/// <summary>Section <c>Security</c>: the administrator key, the rate limit per key and the roles bound to each operation.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>A key with role internal that is never stored (unset: none).</summary>
    public string? AdminKey { get; set; }

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>
    /// Roles per operation (<see cref="Operations"/>); an operation not named, or named with no roles, keeps
    /// <see cref="Operations.DefaultBindings"/>. Empty by default: configured arrays replace the defaults, never merge with them.
    /// </summary>
    public Dictionary<string, string[]> Bindings { get; set; } = [];

    /// <summary>
    /// Platforms per role (<c>Security:RolePlatforms:&lt;role&gt;</c>, e.g. <c>"user": ["reddit"]</c>): every key of the role is scoped to
    /// them (<see cref="KeyScope"/>), a key that names platforms of its own to those of them it names. A role not named is not
    /// limited; the administrator key (<see cref="AdminKey"/>) never is.
    /// </summary>
    public Dictionary<string, string[]> RolePlatforms { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The platforms a key of <paramref name="role"/> naming <paramref name="own"/> (null: every platform) is scoped to; null: every platform.</summary>
    public IReadOnlyList<string>? ScopeOf(string role, IReadOnlyList<string>? own) =>
        LimitOf(role) is not { } limit ? own
        : own is null ? limit
        : [.. own.Where(p => limit.Contains(p, StringComparer.Ordinal))];

    /// <summary>The platforms <paramref name="role"/> is limited to (<see cref="RolePlatforms"/>), or null.</summary>
    public string[]? LimitOf(string role) =>
        RolePlatforms.FirstOrDefault(r => string.Equals(r.Key, role, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } limit ? limit : null;

    /// <summary>
    /// Schedules per role (<c>Security:RoleSchedules:&lt;role&gt;</c>, e.g. <c>"service": ["reddit-*", "nightly-report"]</c>): names, or
    /// prefixes ending in <c>*</c>. A key of the role lists, reads and manages only those schedules (another one is 404, creating one
    /// with another name 403). A role not named is not limited; the administrator key never is.
    /// </summary>
    public Dictionary<string, string[]> RoleSchedules { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The schedule names or prefixes <paramref name="role"/> is limited to, or null.</summary>
    public string[]? SchedulesOf(string role) =>
        RoleSchedules.FirstOrDefault(r => string.Equals(r.Key, role, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } limit ? limit : null;

    /// <summary>The roles allowed to run <paramref name="operation"/>.</summary>
    public string[] RolesFor(string operation) =>
        Bindings.FirstOrDefault(b => string.Equals(b.Key, operation, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } configured
            ? configured
            : Operations.DefaultBindings[operation];

    /// <summary>What is wrong with the rate limit and the bindings, each problem named by its key.</summary>
    public IEnumerable<string> Problems()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(RateLimit, new ValidationContext(RateLimit), results, validateAllProperties: true);
        foreach (var result in results)
            foreach (var member in result.MemberNames)
                yield return $"{Section}:RateLimit:{member}: {result.ErrorMessage}";

        foreach (var (operation, roles) in Bindings)
        {
            if (!Operations.DefaultBindings.Keys.Contains(operation, StringComparer.OrdinalIgnoreCase))
            {
                yield return $"{Section}:Bindings:{operation}: '{operation}' is not an operation (known: {string.Join(", ", Operations.DefaultBindings.Keys)})";
                continue;
            }

            // Named by the operation's key, not by an index: the binder packs an array, so a position is not the key's.
            foreach (var role in roles.Where(r => !ApiKeys.Roles.Contains(r, StringComparer.Ordinal)))
                yield return $"{Section}:Bindings:{operation}: '{role}' is not a role (known: {string.Join(", ", ApiKeys.Roles)})";
        }

        foreach (var (role, platforms) in RolePlatforms)
        {
            if (!ApiKeys.Roles.Contains(role, StringComparer.OrdinalIgnoreCase))
                yield return $"{Section}:RolePlatforms:{role}: '{role}' is not a role (known: {string.Join(", ", ApiKeys.Roles)})";
            else if (platforms.Any(string.IsNullOrWhiteSpace))
                yield return $"{Section}:RolePlatforms:{role}: a platform name is empty";
        }

        foreach (var (role, patterns) in RoleSchedules)
        {
            if (!ApiKeys.Roles.Contains(role, StringComparer.OrdinalIgnoreCase))
                yield return $"{Section}:RoleSchedules:{role}: '{role}' is not a role (known: {string.Join(", ", ApiKeys.Roles)})";
            foreach (var pattern in patterns.Where(p => !KeyScope.IsSchedulePattern(p)))
                yield return $"{Section}:RoleSchedules:{role}: '{pattern}' is not a schedule name or a prefix ending in * (letters, digits, '-', '_', '.')";
        }
    }
}

/// <summary>Section <c>Security:RateLimit</c>: a token bucket per API key.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests a second, sustained.</summary>
    [Range(1, int.MaxValue)]
    public int PermitsPerSecond { get; set; } = 100;

    /// <summary>Requests at once.</summary>
    [Range(1, int.MaxValue)]
    public int Burst { get; set; } = 200;
}
