using System.Collections.Concurrent;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// One PostgreSQL data source per integration, connected as the integration's own role (<c>Postgres:Connections:&lt;platform&gt;</c>, else the
/// derived <c>&lt;POSTGRES_URL user&gt;_&lt;platform&gt;</c>): the integration creates and owns its tables through it, and its runs
/// (<see cref="Jobs.Plugins.JobContext.Postgres"/>) can touch no other integration's table.
/// </summary>
public sealed class PlatformDatabases(IOptions<ConnectionOptions> connections) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> _sources = new(StringComparer.Ordinal);

    public NpgsqlDataSource For(string platform) =>
        _sources.GetOrAdd(platform, p => new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(connections.Value.PostgresConnectionStringFor(p)))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values.Where(s => s.IsValueCreated)) await source.Value.DisposeAsync();
    }
}
