using Jobs.Platforms;
using Npgsql;

namespace Jobs.Integrations.Hosting;

/// <summary>A data source plugin. Implement <see cref="Integration{TSettings}"/> rather than this.</summary>
public interface IIntegration
{
    /// <summary>The platform name: lower-case, used in <c>integration-&lt;name&gt;</c>.</summary>
    string Name { get; }

    PlatformDescriptor Describe();

    /// <summary>Runs one job of this platform: the entry run (task <c>entry</c>), a spawned child or a continuation.</summary>
    Task RunAsync(JobContext context);

    /// <summary>
    /// Creates or upgrades the tables this integration lands its data in (idempotent DDL). Runs once when
    /// the Integrations process starts, before any job; Reporting only reads these tables.
    /// </summary>
    Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An integration with typed settings; its schema (for validation and <c>GET /platforms</c>) comes from <typeparamref name="TSettings"/>.</summary>
public abstract class Integration<TSettings> : IIntegration where TSettings : class, new()
{
    public abstract string Name { get; }

    public abstract string DisplayName { get; }

    public abstract string Description { get; }

    /// <summary>IANA time zone relative dates in this platform's settings (<c>yesterday</c>) are read in.</summary>
    public virtual string TimeZone => "UTC";

    public PlatformDescriptor Describe() => new(Name, DisplayName, Description, SettingsSchema.For<TSettings>(), TimeZone);

    public abstract Task RunAsync(JobContext context);

    public virtual Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) => Task.CompletedTask;
}
