using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Jobs.Platforms;

namespace Jobs.Plugins.Storage;

/// <summary>
/// A job's <c>storage</c> setting: where its rows go instead of the platform's own tables. Either a target configured in the
/// Integrations service by name (<c>{"target": "warehouse"}</c>, the recommended way: its credentials stay in the service), or a
/// type with its settings (<c>{"type": "mysql", "settings": {"hostname", "db", "username", "password", "table"}}</c>).
/// </summary>
public sealed class StorageSettings
{
    [Description("Where the rows go: postgres, mysql (also MariaDB), csv or jsonl, with `settings`. Leave out when naming a `target`.")]
    [AllowedValues(StorageTypes.Postgres, StorageTypes.MySql, StorageTypes.Csv, StorageTypes.JsonLines)]
    public string? Type { get; set; }

    [Description("A storage target configured in the Integrations service (Storage:Targets:<name>); only `settings.table` / `settings.file` may be given beside it.")]
    public string? Target { get; set; }

    [Description("The target's settings: hostname, port, db, username, password, schema, table (databases); directory, file (files).")]
    public StorageTargetSettings? Settings { get; set; }

    /// <summary>Whether this names anything but the platform's own tables.</summary>
    public bool IsSet => Type is not null || Target is not null;

    /// <summary>What is wrong with this setting by itself (before the service's configuration is asked), named by its path.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var settings = Settings ?? new StorageTargetSettings();
        if (Type is not null && Target is not null) problems.Add("storage: name either a `target` or a `type`, not both");
        if (Type is not null && !StorageTypes.All.Contains(Type))
            problems.Add($"storage.type '{Type}' must be one of: {string.Join(", ", StorageTypes.All)}");
        if (!IsSet && Settings is not null) problems.Add("storage.settings: name the `type` (or a configured `target`) they are for");
        if (Target is not null)
        {
            var beside = new (string Name, object? Value)[]
            {
                ("hostname", settings.Hostname), ("port", settings.Port), ("db", settings.Db), ("username", settings.Username),
                ("password", settings.Password), ("schema", settings.Schema), ("directory", settings.Directory),
            };
            foreach (var (name, _) in beside.Where(b => b.Value is not null))
                problems.Add($"storage.settings.{name}: a configured target brings its own; only table and file may be given beside it");
        }

        if (Type is StorageTypes.Postgres or StorageTypes.MySql)
        {
            if (string.IsNullOrWhiteSpace(settings.Hostname)) problems.Add($"storage.settings.hostname is required for {Type}");
            if (string.IsNullOrWhiteSpace(settings.Db)) problems.Add($"storage.settings.db is required for {Type}");
            if (string.IsNullOrWhiteSpace(settings.Username)) problems.Add($"storage.settings.username is required for {Type}");
            if (settings.Directory is not null || settings.File is not null) problems.Add($"storage.settings: directory and file are for csv and jsonl, not {Type}");
        }

        if (Type is StorageTypes.Csv or StorageTypes.JsonLines)
        {
            if (string.IsNullOrWhiteSpace(settings.Directory)) problems.Add($"storage.settings.directory is required for {Type}");
            if (settings.Hostname is not null || settings.Db is not null) problems.Add($"storage.settings: hostname and db are for databases, not {Type}");
        }

        if (settings.Port is < 1 or > 65535) problems.Add("storage.settings.port must be between 1 and 65535");
        if (settings.Table is not null && !RecordTable.IsIdentifier(settings.Table))
            problems.Add($"storage.settings.table '{settings.Table}' must be a plain name: a letter or _, then letters, digits or _ (at most 63)");
        if (settings.Schema is not null && !RecordTable.IsIdentifier(settings.Schema))
            problems.Add($"storage.settings.schema '{settings.Schema}' must be a plain name");
        if (settings.File is not null && !FileRecordSink.IsFileName(settings.File))
            problems.Add($"storage.settings.file '{settings.File}' must be a file name (letters, digits, '.', '-', '_'), not a path");
        return problems;
    }
}

/// <summary>The settings of a storage target given in a job (<see cref="StorageSettings.Settings"/>).</summary>
public sealed class StorageTargetSettings
{
    [Description("Database server host name; must be listed in the service's Storage:AllowedHosts.")]
    public string? Hostname { get; set; }

    [Description("Database server port (default 5432 for postgres, 3306 for mysql).")]
    [Range(1, 65535)]
    public int? Port { get; set; }

    [Description("Database name.")]
    public string? Db { get; set; }

    public string? Username { get; set; }

    [Secret]
    public string? Password { get; set; }

    [Description("PostgreSQL schema (default public).")]
    public string? Schema { get; set; }

    [Description("Table the rows go to (default: the platform's name for them); created from the field types when missing.")]
    public string? Table { get; set; }

    [Description("Directory of a csv or jsonl file; must be inside one of the service's Storage:AllowedDirectories.")]
    public string? Directory { get; set; }

    [Description("File name in the directory (default: the table name with .csv or .jsonl).")]
    public string? File { get; set; }
}

public static class StorageTypes
{
    public const string Postgres = "postgres";
    public const string MySql = "mysql";
    public const string Csv = "csv";
    public const string JsonLines = "jsonl";

    public static readonly string[] All = [Postgres, MySql, Csv, JsonLines];
}

/// <summary>
/// Configuration section <c>Storage</c> of the Integrations service: the named targets jobs may land their rows in, and what a job
/// may name by itself (hosts, directories).
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Targets by name (<c>Storage:Targets:&lt;name&gt;</c>); a job names one as <c>{"storage": {"target": "&lt;name&gt;"}}</c>.</summary>
    public Dictionary<string, StorageTargetOptions> Targets { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Directories csv and jsonl files may be written in (a job's directory must be one of them or inside one).</summary>
    public List<string> AllowedDirectories { get; set; } = [];

    /// <summary>Database hosts a job may name in its own settings; none by default, so only the configured targets can be used.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Rows per statement.</summary>
    [Range(1, 50_000)]
    public int BatchSize { get; set; } = 1000;

    public IEnumerable<string> Problems()
    {
        foreach (var (name, target) in Targets)
        {
            if (!StorageTypes.All.Contains(target.Type))
                yield return $"Storage:Targets:{name}:Type '{target.Type}' must be one of: {string.Join(", ", StorageTypes.All)}";
            else if (target.Type is StorageTypes.Postgres or StorageTypes.MySql && string.IsNullOrWhiteSpace(target.ConnectionString))
                yield return $"Storage:Targets:{name}:ConnectionString is required for a {target.Type} target";
            else if (target.Type is StorageTypes.Csv or StorageTypes.JsonLines && string.IsNullOrWhiteSpace(target.Directory))
                yield return $"Storage:Targets:{name}:Directory is required for a {target.Type} target";
            if (target.Table is not null && !RecordTable.IsIdentifier(target.Table))
                yield return $"Storage:Targets:{name}:Table '{target.Table}' must be a plain name";
            if (target.Schema is not null && !RecordTable.IsIdentifier(target.Schema))
                yield return $"Storage:Targets:{name}:Schema '{target.Schema}' must be a plain name";
        }

        foreach (var directory in AllowedDirectories.Where(d => !Path.IsPathFullyQualified(d)))
            yield return $"Storage:AllowedDirectories: '{directory}' must be an absolute path";
    }
}

/// <summary>A named storage target (<c>Storage:Targets:&lt;name&gt;</c>).</summary>
public sealed class StorageTargetOptions
{
    public string Type { get; set; } = "";

    /// <summary>ADO.NET connection string (postgres: Npgsql's, mysql: MySqlConnector's), or a postgres:// URL.</summary>
    public string? ConnectionString { get; set; }

    public string? Schema { get; set; }

    /// <summary>The table the rows go to; a job may name another (<c>settings.table</c>), else the platform's name.</summary>
    public string? Table { get; set; }

    public string? Directory { get; set; }

    public string? File { get; set; }
}
