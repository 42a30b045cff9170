namespace Jobs.Reporting.Security;

public sealed record CreateKeyRequest(string? Name, string? Role);

public static class KeysEndpoints
{
    public static IEndpointRouteBuilder MapKeysEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/keys").RequireAuthorization(Operations.Manage);
        keys.MapGet("", async (ApiKeys store) => Results.Ok(await store.ListAsync())).WithName("ListKeys");
        keys.MapPost("", async (CreateKeyRequest request, ApiKeys store) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["is required"];
            if (request.Role is null || !ApiKeys.Roles.Contains(request.Role)) errors["role"] = [$"must be one of: {string.Join(", ", ApiKeys.Roles)}"];
            if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The key request is invalid");
            var (info, key) = await store.CreateAsync(request.Name!, request.Role!);
            return Results.Created($"/keys/{info.Id}", new { info.Id, info.Name, info.Role, info.CreatedAt, key });
        }).WithName("CreateKey");
        keys.MapDelete("/{id}", async (string id, ApiKeys store) =>
            await store.DeleteAsync(id)
                ? Results.NoContent()
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: $"No key with id {id}")).WithName("DeleteKey");
        return app;
    }
}
