using System.Security.Claims;
using Jobs.Reporting.Queries;
using StackExchange.Redis;

namespace Jobs.Reporting.Security;

/// <summary>
/// The platforms an API key is scoped to (<see cref="ApiKeyInfo.Platforms"/>; null: every platform), carried as claims of the caller.
/// A scoped key sees and runs only its platforms' jobs and data: anything of another platform answers as if it did not exist (404,
/// or left out of a list), so ids do not leak; running a job of another platform is 403.
/// </summary>
public static class KeyScope
{
    public const string PlatformClaim = "platform";
    private const string ScopedClaim = "scoped";

    public const string ScheduleClaim = "schedule";
    private const string ScopedSchedulesClaim = "scoped-schedules";

    public static IEnumerable<Claim> Claims(ApiKeyInfo info) =>
    [
        .. info.Platforms is { } platforms ? [new Claim(ScopedClaim, "platforms"), .. platforms.Select(p => new Claim(PlatformClaim, p))] : Array.Empty<Claim>(),
        .. info.Schedules is { } schedules ? [new Claim(ScopedSchedulesClaim, "schedules"), .. schedules.Select(s => new Claim(ScheduleClaim, s))] : Array.Empty<Claim>(),
    ];

    /// <summary>The schedule names or prefixes (ending in <c>*</c>) the caller may see, or null when it may see every schedule.</summary>
    public static IReadOnlyList<string>? Schedules(ClaimsPrincipal user) =>
        user.HasClaim(c => c.Type == ScopedSchedulesClaim) ? user.FindAll(ScheduleClaim).Select(c => c.Value).ToList() : null;

    /// <summary>Whether the caller may see the schedule <paramref name="name"/> by its name (its platform is <see cref="Allows"/>'s).</summary>
    public static bool AllowsSchedule(ClaimsPrincipal user, string name) =>
        Schedules(user) is not { } patterns
        || patterns.Any(p => p.EndsWith('*') ? name.StartsWith(p[..^1], StringComparison.Ordinal) : name == p);

    /// <summary>A schedule name, or a prefix of one followed by <c>*</c>.</summary>
    public static bool IsSchedulePattern(string pattern)
    {
        var name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        return (name.Length > 0 || pattern == "*") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
    }

    /// <summary>The caller's platforms, or null when the caller is not scoped.</summary>
    public static IReadOnlyList<string>? Platforms(ClaimsPrincipal user) =>
        user.HasClaim(c => c.Type == ScopedClaim) ? user.FindAll(PlatformClaim).Select(c => c.Value).ToList() : null;

    public static bool Allows(ClaimsPrincipal user, string platform) =>
        Platforms(user) is not { } platforms || platforms.Contains(platform, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="inner"/> (a scope asked for, null = every platform) lies within the caller's scope.</summary>
    public static bool Covers(ClaimsPrincipal user, IReadOnlyList<string>? inner) =>
        Platforms(user) is not { } platforms || (inner is not null && inner.All(p => platforms.Contains(p, StringComparer.Ordinal)));

    /// <summary>
    /// For a route with a job <c>{id}</c>: a job of a platform outside the caller's scope, or one whose platform is not known any more,
    /// is 404 like an unknown id.
    /// </summary>
    public static TBuilder ScopedToJob<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (Platforms(http.User) is null) return await next(context);
            if (!Guid.TryParse(http.Request.RouteValues["id"]?.ToString(), out var id)) return await next(context);
            var job = await AcceptedJobs.FindAsync(http.RequestServices.GetRequiredService<IConnectionMultiplexer>().GetDatabase(), id);
            return job is not null && Allows(http.User, job.Platform) ? await next(context) : JobsEndpoints.NotFound(id);
        });

    /// <summary>For the <c>/data</c> group: <c>/data/&lt;platform&gt;/…</c> of a platform outside the caller's scope is 404.</summary>
    public static TBuilder ScopedToDataPlatform<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var segments = http.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
            var platform = segments.Length > 1 ? segments[1] : "";
            return Allows(http.User, platform)
                ? await next(context)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No data endpoint {http.Request.Path}");
        });
}
