using Microsoft.EntityFrameworkCore;

namespace Jobs.Auditor.Audit;

/// <summary>The audit trail: every job event as it arrived, and one row per root job and per child job.</summary>
public sealed class AuditDbContext(DbContextOptions<AuditDbContext> options) : DbContext(options)
{
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();

    public DbSet<RootJobRecord> RootJobs => Set<RootJobRecord>();

    public DbSet<ChildJobRecord> ChildJobs => Set<ChildJobRecord>();

    public DbSet<RootJobGeneration> RootJobGenerations => Set<RootJobGeneration>();

    public DbSet<DataMeasurementRecord> DataMeasurements => Set<DataMeasurementRecord>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<JobEvent>(e =>
        {
            e.ToTable("job_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(x => x.MessageId).HasColumnName("message_id");
            e.HasIndex(x => x.MessageId).IsUnique();
            e.Property(x => x.RootJobId).HasColumnName("root_job_id");
            e.HasIndex(x => x.RootJobId);
            e.Property(x => x.EventType).HasColumnName("event_type");
            e.Property(x => x.Payload).HasColumnName("payload").HasColumnType("jsonb");
            e.Property(x => x.ReceivedAt).HasColumnName("received_at");
        });
        model.Entity<RootJobRecord>(e =>
        {
            e.ToTable("root_jobs");
            e.HasKey(x => x.RootJobId);
            e.Property(x => x.RootJobId).HasColumnName("root_job_id");
            e.Property(x => x.Platform).HasColumnName("platform");
            e.Property(x => x.Schedule).HasColumnName("schedule");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.Settings).HasColumnName("settings").HasColumnType("jsonb");
            e.Property(x => x.Total).HasColumnName("total");
            e.Property(x => x.Completed).HasColumnName("completed");
            e.Property(x => x.Failed).HasColumnName("failed");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.Error).HasColumnName("error");
            e.Property(x => x.LastProgressAt).HasColumnName("last_progress_at");
            e.Property(x => x.DurationMs).HasColumnName("duration_ms")
                .HasComputedColumnSql("(extract(epoch FROM (finished_at - started_at)) * 1000)::bigint", stored: true);
            e.HasIndex(x => new { x.Platform, x.StartedAt });
            e.HasIndex(x => new { x.Status, x.LastProgressAt });
        });
        model.Entity<ChildJobRecord>(e =>
        {
            e.ToTable("child_jobs");
            e.HasKey(x => x.ChildJobId);
            e.Property(x => x.ChildJobId).HasColumnName("child_job_id");
            e.Property(x => x.RootJobId).HasColumnName("root_job_id");
            e.Property(x => x.ParentJobId).HasColumnName("parent_job_id");
            e.Property(x => x.Generation).HasColumnName("generation");
            e.Property(x => x.Task).HasColumnName("task");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.Error).HasColumnName("error");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.GroupId).HasColumnName("group_id");
            e.Property(x => x.Spawned).HasColumnName("spawned");
            e.Property(x => x.HasContinuation).HasColumnName("has_continuation");
            e.Property(x => x.DurationMs).HasColumnName("duration_ms")
                .HasComputedColumnSql("(extract(epoch FROM (finished_at - started_at)) * 1000)::bigint", stored: true);
            e.HasIndex(x => x.RootJobId);
        });
        model.Entity<RootJobGeneration>(e =>
        {
            e.ToTable("root_job_generations");
            e.HasKey(x => new { x.RootJobId, x.Generation });
            e.Property(x => x.RootJobId).HasColumnName("root_job_id");
            e.Property(x => x.Generation).HasColumnName("generation");
            e.Property(x => x.Children).HasColumnName("children");
            e.Property(x => x.Failed).HasColumnName("failed");
            e.Property(x => x.FirstStartedAt).HasColumnName("first_started_at");
            e.Property(x => x.LastFinishedAt).HasColumnName("last_finished_at");
            e.Property(x => x.SecondsToComplete).HasColumnName("seconds_to_complete");
        });
        model.Entity<DataMeasurementRecord>(e =>
        {
            e.ToTable("data_measurements");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(x => x.RootJobId).HasColumnName("root_job_id");
            e.Property(x => x.ChildJobId).HasColumnName("child_job_id");
            e.Property(x => x.Platform).HasColumnName("platform");
            e.Property(x => x.Dataset).HasColumnName("dataset");
            e.Property(x => x.Subject).HasColumnName("subject");
            e.Property(x => x.Value).HasColumnName("value");
            e.Property(x => x.MeasuredAt).HasColumnName("measured_at");
            e.Property(x => x.PreviousValue).HasColumnName("previous_value");
            e.Property(x => x.PreviousRootJobId).HasColumnName("previous_root_job_id");
            e.Property(x => x.AuditFailed).HasColumnName("audit_failed");
            e.HasIndex(x => new { x.ChildJobId, x.Dataset, x.Subject }).IsUnique();
            e.HasIndex(x => new { x.Platform, x.Dataset, x.Subject, x.MeasuredAt });
        });
    }
}

public sealed class JobEvent
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid RootJobId { get; set; }
    public string EventType { get; set; } = "";
    public string Payload { get; set; } = "{}";
    public DateTimeOffset ReceivedAt { get; set; }
}

public sealed class RootJobRecord
{
    public Guid RootJobId { get; set; }
    public string Platform { get; set; } = "";
    public string? Schedule { get; set; }
    public string Status { get; set; } = "";
    public string? Settings { get; set; }
    public long Total { get; set; }
    public long Completed { get; set; }
    public long Failed { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? LastProgressAt { get; set; }
    public long? DurationMs { get; set; }
}

/// <summary>Time to complete all children of one generation of a root job (from the root's start).</summary>
public sealed class RootJobGeneration
{
    public Guid RootJobId { get; set; }
    public int Generation { get; set; }
    public long Children { get; set; }
    public long Failed { get; set; }
    public DateTimeOffset FirstStartedAt { get; set; }
    public DateTimeOffset LastFinishedAt { get; set; }
    public double SecondsToComplete { get; set; }
}

public sealed class ChildJobRecord
{
    public Guid ChildJobId { get; set; }
    public Guid RootJobId { get; set; }
    public Guid ParentJobId { get; set; }
    public int Generation { get; set; }
    public string Task { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Error { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
    public Guid GroupId { get; set; }
    public int Spawned { get; set; }
    public bool HasContinuation { get; set; }
    public long? DurationMs { get; set; }
}

/// <summary>A figure a job measured about its data, with the previous run's figure it was audited against.</summary>
public sealed class DataMeasurementRecord
{
    public long Id { get; set; }
    public Guid RootJobId { get; set; }
    public Guid ChildJobId { get; set; }
    public string Platform { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string Subject { get; set; } = "";
    public double Value { get; set; }
    public DateTimeOffset MeasuredAt { get; set; }
    public double? PreviousValue { get; set; }
    public Guid? PreviousRootJobId { get; set; }
    public bool AuditFailed { get; set; }
}
