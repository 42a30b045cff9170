using System.Security.Claims;
using Jobs.Platforms;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting.Security;

/// <param name="Platforms">Scopes the key to these platforms (<see cref="KeyScope"/>); absent: every platform the creating key may see.</param>
public sealed record CreateKeyRequest(string? Name, string? Role, IReadOnlyList<string>? Platforms = null);

public static class KeysEndpoints
{
    public static IEndpointRouteBuilder MapKeysEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/keys").RequireAuthorization(Operations.Manage);
        // A key scoped to platforms manages only keys within its scope.
        keys.MapGet("", async (ApiKeys store, ClaimsPrincipal user) =>
            Results.Ok((await store.ListAsync()).Where(k => KeyScope.Covers(user, k.Platforms)))).WithName("ListKeys");
        keys.MapPost("", CreateAsync).WithName("CreateKey");
        keys.MapDelete("/{id}", async (string id, ApiKeys store, ClaimsPrincipal user) =>
            await store.DeleteAsync(id, k => KeyScope.Covers(user, k.Platforms))
                ? Results.NoContent()
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: $"No key with id {id}")).WithName("DeleteKey");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateKeyRequest request, ApiKeys store, PlatformCatalog catalog, ClaimsPrincipal user,
        IOptions<SecurityOptions> security)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["is required"];
        if (request.Role is null || !ApiKeys.Roles.Contains(request.Role)) errors["role"] = [$"must be one of: {string.Join(", ", ApiKeys.Roles)}"];
        // A scoped key's new keys are scoped too: to its own platforms when the request names none.
        var platforms = request.Platforms ?? KeyScope.Platforms(user);
        if (platforms is not null)
        {
            var known = (await catalog.ListAsync()).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            if (platforms.Count == 0) errors["platforms"] = ["must name at least one platform (leave it out for every platform)"];
            else if (platforms.Where(p => !known.Contains(p)).ToList() is { Count: > 0 } unknown)
                errors["platforms"] = [$"unknown platform(s): {string.Join(", ", unknown)}; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}"];
        }

        // A role limited to platforms (Security:RolePlatforms) cannot get a key for others: refused rather than silently narrowed.
        if (request.Role is not null && security.Value.LimitOf(request.Role) is { } limit && platforms is not null && !errors.ContainsKey("platforms")
            && platforms.Where(p => !limit.Contains(p, StringComparer.Ordinal)).ToList() is { Count: > 0 } outside)
            errors["platforms"] = [$"role '{request.Role}' is limited to {string.Join(", ", limit)} (Security:RolePlatforms:{request.Role}); not {string.Join(", ", outside)}"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The key request is invalid");
        if (!KeyScope.Covers(user, platforms))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this key's scope",
                detail: $"This key may create keys only for its platforms: {string.Join(", ", KeyScope.Platforms(user)!)}.");
        var distinct = platforms?.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var (info, key) = await store.CreateAsync(request.Name!, request.Role!, distinct);
        return Results.Created($"/keys/{info.Id}", new { info.Id, info.Name, info.Role, info.CreatedAt, info.Platforms, key });
    }
}
