using Jobs.Plugins.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>What a job's <c>storage</c> may name: configured targets, allowed hosts, allowed directories; the rest is refused before anything is touched.</summary>
public sealed class StorageTargetsTests : IDisposable
{
    private readonly string _allowed = Path.Combine(Path.GetTempPath(), StorageRows.Unique("allowed"));
    private readonly NpgsqlDataSource _unused = NpgsqlDataSource.Create("Host=127.0.0.1;Database=none");

    public StorageTargetsTests() => Directory.CreateDirectory(_allowed);

    public void Dispose()
    {
        _unused.Dispose();
        Directory.Delete(_allowed, recursive: true);
    }

    private StorageTargets Targets(Action<StorageOptions>? configure = null)
    {
        var options = new StorageOptions { AllowedDirectories = [_allowed] };
        options.Targets["warehouse"] = new StorageTargetOptions { Type = StorageTypes.MySql, ConnectionString = "Server=db.internal;Database=w;User ID=u;Password=hunter2" };
        options.Targets["exports"] = new StorageTargetOptions { Type = StorageTypes.Csv, Directory = _allowed };
        configure?.Invoke(options);
        return new StorageTargets(Options.Create(options));
    }

    private static StorageSettings Inline(string type, StorageTargetSettings settings) => new() { Type = type, Settings = settings };

    [Fact]
    public void When_no_storage_is_named_Should_land_in_the_platforms_own_store()
    {
        var sink = Targets().Open(null, StorageRows.Table("products"), _unused);
        Assert.IsType<PostgresRecordSink>(sink);
        Assert.Contains("platform store", sink.Description);
    }

    [Fact]
    public void When_a_job_names_a_database_host_not_allowed_Should_refuse_it_and_point_to_configured_targets()
    {
        var storage = Inline(StorageTypes.MySql, new StorageTargetSettings { Hostname = "10.0.0.5", Db = "x", Username = "u", Password = "p" });
        var error = Assert.Throws<StorageException>(() => Targets().Open(storage, StorageRows.Table("products"), _unused));
        Assert.Contains("'10.0.0.5' is not in the service's Storage:AllowedHosts", error.Message);
    }

    [Fact]
    public void When_a_job_names_an_allowed_host_Should_describe_the_target_without_its_password()
    {
        var storage = Inline(StorageTypes.Postgres, new StorageTargetSettings { Hostname = "127.0.0.1", Db = "jobs", Username = "jobs", Password = "s3cr3t-pw", Schema = "landing" });
        var sink = Targets(o => o.AllowedHosts.Add("127.0.0.1")).Open(storage, StorageRows.Table("products"), _unused);
        Assert.Equal("postgres 127.0.0.1:5432/jobs table landing.products", sink.Description);
        Assert.DoesNotContain("s3cr3t-pw", sink.Description);
    }

    [Fact]
    public void When_a_job_names_an_unknown_target_Should_say_which_targets_are_configured()
    {
        var error = Assert.Throws<StorageException>(() =>
            Targets().Open(new StorageSettings { Target = "lake" }, StorageRows.Table("products"), _unused));
        Assert.Equal("storage target 'lake' is not configured; configured: exports, warehouse", error.Message);
    }

    [Fact]
    public void When_a_job_names_a_configured_target_Should_use_its_connection_and_never_show_its_password()
    {
        var sink = Targets().Open(new StorageSettings { Target = "warehouse", Settings = new StorageTargetSettings { Table = "offers" } },
            StorageRows.Table("products"), _unused);
        Assert.IsType<MySqlRecordSink>(sink);
        Assert.Equal("mysql target 'warehouse' table offers", sink.Description);
    }

    [Fact]
    public void When_a_job_gives_credentials_beside_a_configured_target_Should_refuse_them()
    {
        var storage = new StorageSettings { Target = "warehouse", Settings = new StorageTargetSettings { Hostname = "evil", Password = "x" } };
        var error = Assert.Throws<StorageException>(() => Targets().Open(storage, StorageRows.Table("products"), _unused));
        Assert.Contains("storage.settings.hostname: a configured target brings its own", error.Message);
        Assert.Contains("storage.settings.password: a configured target brings its own", error.Message);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("{allowed}/../elsewhere")]
    [InlineData("{allowed}-sibling")]
    public void When_a_file_target_is_outside_the_allowed_directories_Should_refuse_it(string directory)
    {
        var storage = Inline(StorageTypes.Csv, new StorageTargetSettings { Directory = directory.Replace("{allowed}", _allowed) });
        var error = Assert.Throws<StorageException>(() => Targets().Open(storage, StorageRows.Table("products"), _unused));
        Assert.Contains("is not inside an allowed directory", error.Message);
    }

    [Fact]
    public void When_no_directory_is_allowed_Should_refuse_every_file_target()
    {
        var storage = Inline(StorageTypes.JsonLines, new StorageTargetSettings { Directory = _allowed });
        var error = Assert.Throws<StorageException>(() =>
            Targets(o => o.AllowedDirectories.Clear()).Open(storage, StorageRows.Table("products"), _unused));
        Assert.Contains("Storage:AllowedDirectories is empty", error.Message);
    }

    [Theory]
    [InlineData("../escape.csv")]
    [InlineData("sub/products.csv")]
    [InlineData(".hidden")]
    public void When_a_file_name_is_a_path_Should_refuse_it(string file)
    {
        var storage = Inline(StorageTypes.Csv, new StorageTargetSettings { Directory = _allowed, File = file });
        var error = Assert.Throws<StorageException>(() => Targets().Open(storage, StorageRows.Table("products"), _unused));
        Assert.Contains($"storage.settings.file '{file}' must be a file name", error.Message);
    }

    [Fact]
    public void When_a_file_target_is_inside_an_allowed_directory_Should_write_there_named_after_the_table()
    {
        var storage = Inline(StorageTypes.JsonLines, new StorageTargetSettings { Directory = Path.Combine(_allowed, "daily") });
        var sink = Targets().Open(storage, StorageRows.Table("products"), _unused);
        Assert.Equal($"jsonl file {Path.Combine(_allowed, "daily", "products.jsonl")}", sink.Description);
    }

    [Theory]
    [InlineData("""{"type":"oracle"}""", "storage.type 'oracle' must be one of: postgres, mysql, csv, jsonl")]
    [InlineData("""{"type":"mysql","settings":{"hostname":"h"}}""", "storage.settings.db is required for mysql")]
    [InlineData("""{"type":"csv","settings":{}}""", "storage.settings.directory is required for csv")]
    [InlineData("""{"type":"csv","target":"exports"}""", "name either a `target` or a `type`, not both")]
    [InlineData("""{"settings":{"table":"x"}}""", "storage.settings: name the `type` (or a configured `target`) they are for")]
    [InlineData("""{"type":"postgres","settings":{"hostname":"h","db":"d","username":"u","table":"drop table x"}}""", "storage.settings.table 'drop table x' must be a plain name")]
    public void When_a_storage_setting_is_malformed_Should_name_what_is_wrong(string json, string expected)
    {
        var storage = System.Text.Json.JsonSerializer.Deserialize<StorageSettings>(json, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.Contains(storage.Problems(), p => p.Contains(expected, StringComparison.Ordinal));
        Assert.Throws<StorageException>(() => Targets().Open(storage, StorageRows.Table("products"), _unused));
    }

    [Fact]
    public void When_the_service_configures_a_target_badly_Should_say_so_at_start()
    {
        var options = new StorageOptions { AllowedDirectories = ["relative/dir"] };
        options.Targets["lake"] = new StorageTargetOptions { Type = "s3" };
        options.Targets["db"] = new StorageTargetOptions { Type = StorageTypes.Postgres };
        Assert.Equal(
        [
            "Storage:Targets:lake:Type 's3' must be one of: postgres, mysql, csv, jsonl",
            "Storage:Targets:db:ConnectionString is required for a postgres target",
            "Storage:AllowedDirectories: 'relative/dir' must be an absolute path",
        ], options.Problems());
    }
}
