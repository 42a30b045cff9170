using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Platforms;
using Npgsql;

namespace Jobs.Plugins;

/// <summary>A data source plugin. Implement <see cref="Integration{TSettings}"/> rather than this.</summary>
public interface IIntegration
{
    /// <summary>The platform name: lower-case, used in <c>integration-&lt;name&gt;</c>.</summary>
    string Name { get; }

    PlatformDescriptor Describe();

    /// <summary>The tasks whose failure fails the root at once (see <see cref="Integration{TSettings}.RequiredTasks"/>).</summary>
    IReadOnlyList<string> RequiredTasks => [];

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

    /// <summary>
    /// The tasks whose failure fails the root at once with that task's error, whatever the failure policy: the steps without
    /// which the job delivered nothing. Published in <see cref="PlatformDescriptor.RequiredTasks"/>; the Integrator decides by them.
    /// </summary>
    public virtual IReadOnlyList<string> RequiredTasks => [];

    /// <summary>
    /// Every task this platform's runs have, <c>entry</c> first (the names <see cref="JobContext.SpawnChild"/> uses): published in
    /// <see cref="PlatformDescriptor.Tasks"/>, they are what a job's task hooks (<c>hooks.pre[i].task</c>) may name.
    /// </summary>
    public abstract IReadOnlyList<string> Tasks { get; }

    /// <summary>The <c>failure_policy</c> a job of this platform has when its settings name none.</summary>
    public virtual string DefaultFailurePolicy => FailurePolicy.Continue;

    /// <summary>The schema from <typeparamref name="TSettings"/>, plus the <c>failure_policy</c> and <c>hooks</c> every platform has.</summary>
    public PlatformDescriptor Describe() =>
        new(Name, DisplayName, Description, [.. SettingsSchema.For<TSettings>(), FailurePolicySetting(DefaultFailurePolicy), JobHooks.Setting], TimeZone, RequiredTasks, Tasks);

    private static SettingDescriptor FailurePolicySetting(string defaultPolicy) => new(
        FailurePolicy.SettingName, "string",
        $"What a failed child means for the job: '{FailurePolicy.Continue}' runs every child and ends CompletedWithFailures when some failed; " +
        $"'{FailurePolicy.FailFast}' fails the job at the first failed child and starts no other. A failed required task fails the job either way.",
        System.Text.Json.JsonSerializer.SerializeToElement(defaultPolicy), false, false, FailurePolicy.All, null, null);

    public abstract Task RunAsync(JobContext context);

    public virtual Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) => Task.CompletedTask;
}
