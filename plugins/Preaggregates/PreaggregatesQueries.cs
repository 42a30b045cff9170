using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// How far the preaggregated data is complete, as the <c>preaggregates</c> integration last published it in Redis:
/// <c>GET /data/preaggregates?view=default</c>.
/// </summary>
public static class PreaggregatesQueries
{
    internal static void Map(IEndpointRouteBuilder data)
    {
        data.MapGet("/preaggregates", GetAsync).WithName("GetPreaggregatesMetadata")
            .WithSummary("Per source and synchronized across sources: until when the preaggregated data is complete")
            .Produces<PreaggregatesMetadata>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem();
    }

    private static async Task<IResult> GetAsync(IConnectionMultiplexer redis, string? view)
    {
        view ??= PreaggregatesKeys.DefaultView;
        if (!PreaggregatesKeys.IsValidName(view))
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["view"] = ["must be lower-case letters, digits, '-' and '_', at most 64 characters"],
            });

        var json = await redis.GetDatabase().StringGetAsync(PreaggregatesKeys.Document(view));
        if (json.IsNullOrEmpty)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No preaggregates metadata",
                detail: $"The preaggregates integration has not published view '{view}' yet");
        return Results.Ok(JsonSerializer.Deserialize<PreaggregatesMetadata>(json.ToString(), JsonSerializerOptions.Web));
    }
}
