using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Jobs.Platforms;
using Jobs.Plugins;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Integrations.Hooks;

/// <summary>One statement the <c>sql</c> hook may run: its SQL and the connection it runs on.</summary>
public sealed class SqlHookStatement
{
    /// <summary>
    /// The SQL (one statement or several separated by ';'). It may use the parameters <c>@root_job_id</c> (uuid), <c>@platform</c>,
    /// <c>@schedule</c>, <c>@phase</c> and, after the job, <c>@status</c>, <c>@total</c>, <c>@completed</c>, <c>@failed</c>; as a task hook,
    /// <c>@child_job_id</c>, <c>@task</c> and, after the task's run, <c>@task_succeeded</c>, <c>@spawned</c>.
    /// </summary>
    public string Sql { get; set; } = "";

    /// <summary>A name under <c>Hooks:Sql:Connections</c>; absent: the Integrations process's own PostgreSQL connection.</summary>
    public string? Connection { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Section <c>Hooks:Sql</c>: the statements the <c>sql</c> hook runs by name (a job names one; it never carries SQL text) and the
/// PostgreSQL connections they may run on.
/// </summary>
public sealed class SqlHookOptions
{
    public const string Section = "Hooks:Sql";

    /// <summary>Connection strings by name (PostgreSQL).</summary>
    public Dictionary<string, string> Connections { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, SqlHookStatement> Statements { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Problems()
    {
        foreach (var (name, statement) in Statements)
        {
            if (string.IsNullOrWhiteSpace(statement.Sql)) yield return $"{Section}:Statements:{name}:Sql: is required";
            if (statement.Connection is { } connection && !Connections.ContainsKey(connection))
                yield return $"{Section}:Statements:{name}:Connection: names '{connection}', not one of {Section}:Connections " +
                             $"({(Connections.Count == 0 ? "none configured" : string.Join(", ", Connections.Keys))})";
            if (statement.Timeout <= TimeSpan.Zero) yield return $"{Section}:Statements:{name}:Timeout: must be positive";
        }

        foreach (var (name, connection) in Connections)
        {
            string? problem = null;
            try
            {
                _ = new NpgsqlConnectionStringBuilder(connection);
            }
            catch (ArgumentException ex)
            {
                problem = $"{Section}:Connections:{name}: is not a PostgreSQL connection string ({ex.Message})";
            }

            if (problem is not null) yield return problem;
        }
    }
}

public sealed class SqlHookSettings
{
    [Required, Description("The name of a statement configured under Hooks:Sql:Statements (GET /hooks lists them).")]
    public string Statement { get; set; } = "";
}

/// <summary>
/// <c>sql</c>: runs a configured, named statement (<see cref="SqlHookOptions"/>) on its configured connection, such as refreshing a
/// materialized view after a load. The job's settings name the statement only; the allowed names are the schema's allowed values.
/// </summary>
public sealed class SqlHook(IOptions<SqlHookOptions> options, NpgsqlDataSource postgres) : JobHook<SqlHookSettings>, IDisposable
{
    public const string HookName = "sql";

    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _sources = new(StringComparer.Ordinal);

    public override string Name => HookName;

    public override string Description =>
        "Runs a statement configured under Hooks:Sql:Statements by its name (such as REFRESH MATERIALIZED VIEW after a load) on its configured " +
        "connection; parameters @root_job_id, @platform, @schedule, @phase and, after the job, @status, @total, @completed, @failed " +
        "(as a task hook @child_job_id, @task and, after the run, @task_succeeded, @spawned).";

    public override HookDescriptor Describe()
    {
        var names = options.Value.Statements.Keys.Order(StringComparer.Ordinal).ToList();
        var schema = base.Describe();
        return schema with
        {
            Settings = schema.Settings.Select(s => s.Name == "statement" ? s with { AllowedValues = names } : s).ToList(),
        };
    }

    protected override async Task<HookResult> RunAsync(HookContext context, SqlHookSettings settings)
    {
        if (!options.Value.Statements.TryGetValue(settings.Statement, out var statement))
            throw new HookFailedException($"statement '{settings.Statement}' is not configured under {SqlHookOptions.Section}:Statements");
        var source = statement.Connection is { } name
            ? _sources.GetOrAdd(name, n => NpgsqlDataSource.Create(options.Value.Connections[n]))
            : postgres;
        await using var connection = await source.OpenConnectionAsync(context.CancellationToken);
        await using var command = new NpgsqlCommand(statement.Sql, connection) { CommandTimeout = (int)Math.Ceiling(statement.Timeout.TotalSeconds) };
        var outcome = context.Outcome;
        var parameters = new Dictionary<string, object?>
        {
            ["root_job_id"] = context.RootJobId, ["platform"] = context.Platform, ["schedule"] = context.Schedule, ["phase"] = context.Phase,
            ["status"] = outcome?.Status, ["total"] = outcome?.Total, ["completed"] = outcome?.Completed, ["failed"] = outcome?.Failed,
            ["child_job_id"] = context.Task?.ChildJobId, ["task"] = context.Task?.Task, ["task_succeeded"] = context.Task?.Succeeded,
            ["spawned"] = context.Task?.Spawned,
        };
        foreach (var (parameter, value) in parameters.Where(p => statement.Sql.Contains("@" + p.Key, StringComparison.Ordinal)))
            command.Parameters.AddWithValue(parameter, value ?? DBNull.Value);
        var rows = await command.ExecuteNonQueryAsync(context.CancellationToken);
        context.Logger.LogInformation("SQL hook ran statement {Statement} ({Rows} rows)", settings.Statement, rows);
        return HookResult.Done;
    }

    public void Dispose()
    {
        foreach (var source in _sources.Values) source.Dispose();
    }
}
