using System.Collections.Concurrent;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using Npgsql;

namespace Jobs.Plugins.Storage;

/// <summary>
/// Opens the sink a job's <c>storage</c> setting names: the platform's own PostgreSQL when it names none, a configured target
/// (<c>Storage:Targets:&lt;name&gt;</c>), or a target described in the job (a database host listed in <c>Storage:AllowedHosts</c>, a
/// directory inside <c>Storage:AllowedDirectories</c>), so a job cannot make the service connect or write anywhere else.
/// </summary>
public sealed class StorageTargets(IOptions<StorageOptions> options) : IAsyncDisposable
{
    private readonly StorageOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> _postgres = new(StringComparer.Ordinal);

    public static void Register(IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.Section).ValidateProblems(o => o.Problems());
        services.AddSingleton<StorageTargets>();
    }

    /// <summary>
    /// The sink for <paramref name="storage"/> with rows shaped as <paramref name="table"/> (its name is the default table or file
    /// name); <paramref name="platformStore"/> when the job names no storage. Throws <see cref="StorageException"/> saying what is
    /// wrong or not allowed. The sink's table is not touched until <see cref="IRecordSink.EnsureAsync"/>.
    /// </summary>
    public IRecordSink Open(StorageSettings? storage, RecordTable table, NpgsqlDataSource platformStore)
    {
        if (storage is null || !storage.IsSet)
        {
            if (storage?.Settings is not null) throw new StorageException(string.Join("; ", storage.Problems()));
            return new PostgresRecordSink(platformStore, table, null, _options.BatchSize, $"postgres (platform store) table {table.Name}");
        }

        if (storage.Problems() is { Count: > 0 } problems) throw new StorageException(string.Join("; ", problems));
        var given = storage.Settings ?? new StorageTargetSettings();
        if (storage.Target is { } name)
        {
            if (!_options.Targets.TryGetValue(name, out var target))
                throw new StorageException(_options.Targets.Count == 0
                    ? $"storage target '{name}' is not configured (Storage:Targets has none)"
                    : $"storage target '{name}' is not configured; configured: {string.Join(", ", _options.Targets.Keys.Order(StringComparer.Ordinal))}");
            var shaped = table with { Name = given.Table ?? target.Table ?? table.Name };
            return target.Type switch
            {
                StorageTypes.Postgres => new PostgresRecordSink(DataSource(Connections.PostgresConnectionString(target.ConnectionString)), shaped,
                    target.Schema, _options.BatchSize, $"postgres target '{name}' table {target.Schema ?? "public"}.{shaped.Name}"),
                StorageTypes.MySql => new MySqlRecordSink(target.ConnectionString!, shaped, _options.BatchSize, $"mysql target '{name}' table {shaped.Name}"),
                _ => FileSink(target.Type, target.Directory!, given.File ?? target.File, shaped, $"target '{name}'"),
            };
        }

        var inline = table with { Name = given.Table ?? table.Name };
        switch (storage.Type)
        {
            case StorageTypes.Postgres:
            {
                var host = AllowedHost(given.Hostname!);
                var connection = new NpgsqlConnectionStringBuilder
                {
                    Host = host, Port = given.Port ?? 5432, Database = given.Db, Username = given.Username, Password = given.Password,
                };
                return new PostgresRecordSink(DataSource(connection.ConnectionString), inline, given.Schema, _options.BatchSize,
                    $"postgres {host}:{connection.Port}/{given.Db} table {given.Schema ?? "public"}.{inline.Name}");
            }
            case StorageTypes.MySql:
            {
                var host = AllowedHost(given.Hostname!);
                var connection = new MySqlConnectionStringBuilder
                {
                    Server = host, Port = (uint)(given.Port ?? 3306), Database = given.Db, UserID = given.Username, Password = given.Password,
                };
                return new MySqlRecordSink(connection.ConnectionString, inline, _options.BatchSize, $"mysql {host}:{connection.Port}/{given.Db} table {inline.Name}");
            }
            default:
                return FileSink(storage.Type!, given.Directory!, given.File, inline, storage.Type!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _postgres.Values.Where(s => s.IsValueCreated)) await source.Value.DisposeAsync();
        _postgres.Clear();
    }

    private NpgsqlDataSource DataSource(string connectionString) =>
        _postgres.GetOrAdd(connectionString, c => new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(c))).Value;

    private string AllowedHost(string host)
    {
        if (_options.AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase)) return host;
        throw new StorageException($"storage host '{host}' is not in the service's Storage:AllowedHosts; name a configured target (Storage:Targets) instead");
    }

    private FileRecordSink FileSink(string type, string directory, string? file, RecordTable table, string what)
    {
        var full = Path.GetFullPath(directory);
        var allowed = _options.AllowedDirectories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).ToList();
        if (!allowed.Any(a => full == a || full.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            throw new StorageException(allowed.Count == 0
                ? $"storage directory '{directory}' is not allowed: the service's Storage:AllowedDirectories is empty"
                : $"storage directory '{directory}' is not inside an allowed directory (Storage:AllowedDirectories: {string.Join(", ", allowed)})");
        var name = file ?? $"{table.Name}.{type}";
        if (!FileRecordSink.IsFileName(name)) throw new StorageException($"storage file '{name}' must be a file name, not a path");
        var path = Path.Combine(full, name);
        return new FileRecordSink(path, table, type, $"{what} file {path}");
    }
}
