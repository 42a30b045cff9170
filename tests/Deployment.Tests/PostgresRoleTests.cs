using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

namespace Jobs.Deployment.Tests;

/// <summary>
/// One PostgreSQL role per owner of tables on Kubernetes as locally (infra/postgres/roles.sql): the CloudNativePG Cluster makes
/// them (postInitApplicationSQL, managed.roles), each Deployment that owns tables connects as its own, and the SQL that makes
/// them does on a real PostgreSQL what infra/ does.
/// </summary>
public sealed partial class PostgresRoleTests
{
    /// <summary>The owners of tables infra/postgres/roles.sql makes roles for, in its order.</summary>
    private static IReadOnlyList<string> LocalOwners() =>
        Names(RolesArray().Match(File.ReadAllText(Path.Combine(Manifests.Root, "infra", "postgres", "roles.sql"))));

    private static IReadOnlyList<string> Names(Match match)
    {
        Assert.True(match.Success, "no ARRAY['…'] of owners found");
        return match.Groups[1].Value.Split(',').Select(n => n.Trim().Trim('\'')).ToList();
    }

    private static (JsonObject Cluster, JsonObject InitDb, string Sql) Cluster(IReadOnlyList<JsonObject> objects)
    {
        var cluster = Assert.Single(objects.OfKind("Cluster"));
        var initdb = (JsonObject)cluster["spec"]!["bootstrap"]!["initdb"]!;
        return (cluster, initdb, Assert.Single(initdb["postInitApplicationSQL"]!.AsArray()).Str());
    }

    /// <summary>The owner whose tables a Deployment's service owns: none for the Scheduler and the Integrator.</summary>
    private static string? OwnerOf(JsonObject deployment, Dictionary<string, Setting> env) => Services.Of(deployment).Service switch
    {
        "Auditor" => "auditor",
        "Reporting" => "reporting",
        "Integrations" => env["Integrations__Enabled__0"].Value,
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void The_cluster_makes_a_login_role_for_each_owner_that_infra_makes_locally_with_a_password_from_its_own_secret(string render)
    {
        var objects = Manifests.Render(render);
        var (cluster, initdb, sql) = Cluster(objects);
        var owners = LocalOwners();
        Assert.Equal(owners, Names(SqlOwners().Match(sql)));
        var roles = cluster["spec"]!["managed"]!["roles"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Equal(owners.Select(o => $"{initdb["owner"].Str()}_{o}"), roles.Select(r => r["name"].Str()));
        foreach (var role in roles)
        {
            Assert.True(role["login"]!.GetValue<bool>(), $"{role["name"]} cannot log in");
            Assert.Equal("present", role["ensure"].Str());
            var secret = objects.Named("Secret", role["passwordSecret"]!["name"].Str());
            Assert.Equal("kubernetes.io/basic-auth", secret["type"].Str());
            var data = Manifests.Data(objects, "Secret", Kustomize.Name(secret))!;
            Assert.Equal(role["name"].Str(), data["username"]);
            Assert.False(string.IsNullOrWhiteSpace(data["password"]), $"{Kustomize.Name(secret)} has no password");
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Each_deployment_that_owns_tables_connects_as_its_own_role_and_no_other(string render)
    {
        var objects = Manifests.Render(render);
        var (cluster, initdb, _) = Cluster(objects);
        var owners = new List<string>();
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var env = Manifests.Environment(objects, Manifests.Container(deployment));
            var connections = env.Keys.Where(k => k.StartsWith("Postgres__Connections__", StringComparison.Ordinal)).ToList();
            var owner = OwnerOf(deployment, env);
            if (owner is null)
            {
                Assert.Empty(connections);
                continue;
            }

            owners.Add(owner);
            Assert.Equal([$"Postgres__Connections__{owner}"], connections);
            var setting = env[connections[0]];
            Assert.Equal("env", setting.Source);
            // Kubernetes replaces $(NAME) by an earlier variable of the container: the credentials come from the owner's Secret.
            var resolved = Reference().Replace(setting.Value!, m =>
            {
                Assert.True(env.TryGetValue(m.Groups[1].Value, out var variable), $"{Kustomize.Name(deployment)}: $({m.Groups[1].Value}) is not defined");
                Assert.Equal($"Secret jobs-postgres-{owner}", variable.Source);
                return variable.Value!;
            });
            var builder = new NpgsqlConnectionStringBuilder(resolved);
            Assert.Equal(($"{Kustomize.Name(cluster)}-rw", initdb["database"].Str(), $"{initdb["owner"].Str()}_{owner}"), (builder.Host, builder.Database, builder.Username));
            Assert.Equal(Manifests.Data(objects, "Secret", $"jobs-postgres-{owner}")!["password"], builder.Password);
        }

        Assert.Equal(LocalOwners().Order(), owners.Order());
    }

    /// <summary>
    /// The cluster's SQL, run as CloudNativePG runs it (as the superuser, in the database of a fresh owner), then the roles given
    /// their login as managed.roles does: each writer creates and owns its tables, touches no other's, Reporting reads and writes nothing.
    /// </summary>
    [Fact]
    public async Task The_clusters_role_sql_gives_each_owner_its_own_tables_and_reporting_only_reads_on_a_real_postgresql()
    {
        var (_, _, sql) = Cluster(Manifests.Base);
        var local = new NpgsqlConnectionStringBuilder(Jobs.ServiceDefaults.Connections.PostgresConnectionString(
            Environment.GetEnvironmentVariable("POSTGRES_URL") ?? "Host=127.0.0.1;Port=5432;Database=jobs;Username=jobs;Password=jobs"));
        var admin = $"k8s{Guid.NewGuid():N}"[..16];
        var owners = LocalOwners();
        const string password = "k8s-role-test";
        try
        {
            await SuperuserAsync(local.Port, "postgres", $"CREATE ROLE {admin} LOGIN PASSWORD '{password}'; CREATE DATABASE {admin} OWNER {admin};");
            await SuperuserAsync(local.Port, admin, sql + ";");
            await SuperuserAsync(local.Port, "postgres", string.Concat(owners.Select(o => $"ALTER ROLE {admin}_{o} LOGIN PASSWORD '{password}';")));

            NpgsqlConnection As(string owner) => new(new NpgsqlConnectionStringBuilder
            {
                Host = local.Host, Port = local.Port, Database = admin, Username = $"{admin}_{owner}", Password = password, Pooling = false,
            }.ConnectionString);

            async Task RunAsync(string owner, string statement)
            {
                await using var connection = As(owner);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(statement, connection);
                await command.ExecuteNonQueryAsync();
            }

            async Task DeniedAsync(string owner, string statement)
            {
                var denied = await Assert.ThrowsAsync<PostgresException>(() => RunAsync(owner, statement));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
            }

            await RunAsync("catalogue", "CREATE TABLE products (id int PRIMARY KEY); INSERT INTO products VALUES (1)");
            await RunAsync("movies", "CREATE TABLE movie_report (id int PRIMARY KEY); INSERT INTO movie_report VALUES (1)");
            await DeniedAsync("catalogue", "DELETE FROM movie_report");
            await DeniedAsync("movies", "INSERT INTO products VALUES (2)");
            await RunAsync("reporting", "SELECT count(*) FROM products JOIN movie_report USING (id)");
            await DeniedAsync("reporting", "INSERT INTO products VALUES (3)");
            await DeniedAsync("reporting", "CREATE TABLE reporting_notes (id int)");
            // The administrator role (the Cluster's owner) is a member of each: it reads what they own.
            await using var owner = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
                { Host = local.Host, Port = local.Port, Database = admin, Username = admin, Password = password, Pooling = false }.ConnectionString);
            await owner.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT count(*) FROM products", owner);
            Assert.Equal(1L, await read.ExecuteScalarAsync());
        }
        finally
        {
            await SuperuserAsync(local.Port, "postgres",
                $"DROP DATABASE IF EXISTS {admin} WITH (FORCE);" + string.Concat(owners.Select(o => $"DROP ROLE IF EXISTS {admin}_{o};")) + $"DROP ROLE IF EXISTS {admin};");
        }
    }

    /// <summary>Runs SQL as the local PostgreSQL's superuser (the operating system user postgres, as infra/start.sh does).</summary>
    private static async Task SuperuserAsync(int port, string database, string sql)
    {
        var start = new ProcessStartInfo("runuser", ["-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", database])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var psql = Process.Start(start)!;
        await psql.StandardInput.WriteAsync(sql);
        psql.StandardInput.Close();
        var (output, error) = (psql.StandardOutput.ReadToEndAsync(), psql.StandardError.ReadToEndAsync());
        await psql.WaitForExitAsync();
        Assert.True(psql.ExitCode == 0, $"psql as postgres in {database} exited {psql.ExitCode}: {await error}{await output}");
    }

    [GeneratedRegex(@"unnest\(ARRAY\[([^\]]*)\]\) AS n")]
    private static partial Regex RolesArray();

    [GeneratedRegex(@"owners text\[\] := ARRAY\[([^\]]*)\]")]
    private static partial Regex SqlOwners();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
