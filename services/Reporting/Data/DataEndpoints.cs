using Jobs.Reporting.Security;
using Npgsql;

namespace Jobs.Reporting.Data;

/// <summary>
/// The data queries users run over what the integrations landed, under <c>/data</c> (role binding <c>read</c>).
/// Each integration's queries live in their own file beside this one and are mapped here.
/// </summary>
public static class DataEndpoints
{
    public static IEndpointRouteBuilder MapDataEndpoints(this IEndpointRouteBuilder app)
    {
        var data = app.MapGroup("/data").RequireAuthorization(Operations.Read).WithTags("Data");
        data.MapPreaggregatesQueries();
        data.MapMoviesQueries();
        data.MapCatalogueQueries();
        data.MapRedditQueries();
        return app;
    }
}

/// <summary>Reads rows for the data queries; a table its integration has not created yet reads as empty.</summary>
public static class DataReader
{
    private const string UndefinedTable = "42P01";

    public static async Task<IReadOnlyList<T>> ListAsync<T>(
        NpgsqlDataSource postgres, string sql, Action<NpgsqlParameterCollection> bind, Func<NpgsqlDataReader, T> map,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var command = postgres.CreateCommand(sql);
            bind(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == UndefinedTable)
        {
            return [];
        }
    }
}
