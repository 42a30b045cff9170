using System.ComponentModel.DataAnnotations;
using Jobs.Contracts;
using Npgsql;
using Prometheus;

namespace Jobs.Auditor.Audit;

/// <summary>One rule of <c>Auditor:DataAudits</c>: a dataset of a platform may drop by at most <see cref="MaxDropShare"/> between two runs.</summary>
public sealed class DataAuditRule
{
    [Required(AllowEmptyStrings = false)]
    public string Platform { get; set; } = "";

    /// <summary>The dataset name the integration measures (e.g. <c>products</c>); <c>*</c> for every dataset of the platform.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Dataset { get; set; } = "*";

    /// <summary>0.2 = a figure falling by more than 20% since the previous run fails the audit.</summary>
    [Range(0.0, 1.0)]
    public double MaxDropShare { get; set; } = 0.5;
}

/// <summary>
/// Data audits: stores the figures jobs measured about their data, compares each with the same figure of the
/// platform's previous run and reports drops beyond the configured share as <see cref="DataAuditFailed"/>.
/// </summary>
public sealed class DataAudits
{
    private readonly IReadOnlyList<DataAuditRule> _rules;

    /// <summary>Each rule's failure counter exists from the start (at 0, for a rule naming one dataset), so an alert on its increase sees the first failure.</summary>
    public DataAudits(IReadOnlyList<DataAuditRule> rules)
    {
        _rules = rules;
        foreach (var rule in rules.Where(r => r.Dataset != "*")) Failed.WithLabels(rule.Platform, rule.Dataset);
    }

    private static readonly Gauge Measured = Metrics.CreateGauge("data_measurement_value",
        "The latest figure a job measured about its data", "platform", "dataset", "subject");

    private static readonly Counter Failed = Metrics.CreateCounter("data_audit_failures_total",
        "Data audits that failed: a measured figure dropped by more than its rule allows", "platform", "dataset");

    public DataAuditRule? RuleFor(string platform, string dataset) =>
        _rules.FirstOrDefault(r => r.Platform == platform && r.Dataset == dataset) ?? _rules.FirstOrDefault(r => r.Platform == platform && r.Dataset == "*");

    /// <summary>
    /// Records the measurements of a batch inside the caller's transaction and returns the failed audits, plus the
    /// metrics to set once the transaction commits. A measurement recorded before (a redelivery) is not audited again.
    /// </summary>
    public async Task<(IReadOnlyList<DataAuditFailed> Failures, Action AfterCommit)> RecordAsync(NpgsqlConnection connection, ChildJobsFinished batch)
    {
        var failures = new List<DataAuditFailed>();
        var gauges = new List<(DataMeasurement Measurement, DateTimeOffset At)>();
        foreach (var outcome in batch.Outcomes.Where(o => o.Measurements is { Count: > 0 }))
        foreach (var measurement in outcome.Measurements!)
        {
            var previous = await PreviousAsync(connection, batch, outcome, measurement);
            var rule = RuleFor(batch.Platform, measurement.Dataset);
            DataAuditFailed? failure = null;
            if (previous is { Value: > 0 } p && rule is not null)
            {
                var drop = (p.Value - measurement.Value) / p.Value;
                if (drop > rule.MaxDropShare)
                    failure = new DataAuditFailed(batch.RootJobId, outcome.ChildJobId, batch.Platform, measurement.Dataset, measurement.Subject, p.Value,
                        measurement.Value, drop, rule.MaxDropShare, p.RootJobId, outcome.FinishedAt);
            }

            await using var insert = new NpgsqlCommand("""
                INSERT INTO data_measurements (root_job_id, child_job_id, platform, dataset, subject, value, measured_at, previous_value,
                  previous_root_job_id, audit_failed)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (child_job_id, dataset, subject) DO NOTHING
                """, connection);
            insert.Parameters.Add(new() { Value = batch.RootJobId });
            insert.Parameters.Add(new() { Value = outcome.ChildJobId });
            insert.Parameters.Add(new() { Value = batch.Platform });
            insert.Parameters.Add(new() { Value = measurement.Dataset });
            insert.Parameters.Add(new() { Value = measurement.Subject });
            insert.Parameters.Add(new() { Value = measurement.Value });
            insert.Parameters.Add(new() { Value = outcome.FinishedAt });
            insert.Parameters.Add(new() { Value = (object?)previous?.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = (object?)previous?.RootJobId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            insert.Parameters.Add(new() { Value = failure is not null });
            if (await insert.ExecuteNonQueryAsync() == 0) continue;
            gauges.Add((measurement, outcome.FinishedAt));
            if (failure is not null) failures.Add(failure);
        }

        return (failures, () =>
        {
            foreach (var (m, _) in gauges) Measured.WithLabels(batch.Platform, m.Dataset, m.Subject).Set(m.Value);
            foreach (var f in failures) Failed.WithLabels(f.Platform, f.Dataset).Inc();
        });
    }

    private static async Task<(double Value, Guid RootJobId)?> PreviousAsync(NpgsqlConnection connection, ChildJobsFinished batch, ChildJobOutcome outcome,
        DataMeasurement measurement)
    {
        await using var command = new NpgsqlCommand("""
            SELECT value, root_job_id FROM data_measurements
            WHERE platform = $1 AND dataset = $2 AND subject = $3 AND root_job_id <> $4 AND measured_at < $5
            ORDER BY measured_at DESC LIMIT 1
            """, connection);
        command.Parameters.Add(new() { Value = batch.Platform });
        command.Parameters.Add(new() { Value = measurement.Dataset });
        command.Parameters.Add(new() { Value = measurement.Subject });
        command.Parameters.Add(new() { Value = batch.RootJobId });
        command.Parameters.Add(new() { Value = outcome.FinishedAt });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetDouble(0), reader.GetGuid(1)) : null;
    }
}
