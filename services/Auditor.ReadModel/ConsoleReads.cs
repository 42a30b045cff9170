using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Auditor.ReadModel;

/// <summary>The reads of the operations console: a job's tree, its events and retries, the data audits and the last hours per platform.</summary>
public sealed partial class AuditTrailReader
{
    /// <summary>The most points of one series and the most failures <see cref="MeasurementsAsync"/> and <see cref="AuditFailuresAsync"/> return.</summary>
    public const int MaxPointsPerSeries = 200;

    public const int MaxAuditFailures = 100;

    private const string TreeJobColumns =
        "child_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at, duration_ms, spawned, has_continuation";

    private static AuditedTreeJob ReadTreeJob(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt32(6),
            r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), r.GetInt64(9), r.GetInt32(10), r.GetBoolean(11));

    /// <summary>The roots started to re-run the failed children of <paramref name="rootJobId"/> (their <c>retryOf</c>), oldest first.</summary>
    public Task<IReadOnlyList<Guid>> RetriesAsync(Guid rootJobId, CancellationToken cancellationToken) =>
        ListAsync("""
            SELECT root_job_id FROM job_events WHERE event_type = 'RootJobStarted' AND payload ->> 'retryOf' = $1
            GROUP BY root_job_id ORDER BY min(id)
            """, p => p.Add(new() { Value = rootJobId.ToString("D") }), r => r.GetGuid(0), cancellationToken);

    /// <summary>A root's audited events in the order they arrived, one page of them (<paramref name="page"/> counts from 1).</summary>
    /// <summary>
    /// A root's events in the order they arrived, one page of them; the payload of each only when it takes at most
    /// <paramref name="inlineBytes"/> as stored (<c>pg_column_size</c>: no message is turned into text to be measured; a batch of a thousand outcomes is not a list item: <see cref="EventPayloadAsync"/> reads it).
    /// </summary>
    public async Task<AuditPage<AuditedJobEvent>> EventsAsync(Guid rootJobId, int page, int pageSize, CancellationToken cancellationToken,
        int inlineBytes = 2048)
    {
        var total = (await ListAsync("SELECT count(*) FROM job_events WHERE root_job_id = $1", p => p.Add(new() { Value = rootJobId }),
            r => r.GetInt64(0), cancellationToken)).FirstOrDefault();
        var items = await ListAsync("""
            SELECT id, event_type, received_at, pg_column_size(payload),
                   CASE WHEN jsonb_typeof(payload->'outcomes') = 'array' THEN jsonb_array_length(payload->'outcomes') END,
                   CASE WHEN pg_column_size(payload) <= $4 THEN payload::text END
            FROM job_events WHERE root_job_id = $1 ORDER BY received_at, id LIMIT $2 OFFSET $3
            """, p =>
            {
                p.Add(new() { Value = rootJobId });
                p.Add(new() { Value = pageSize });
                p.Add(new() { Value = (page - 1L) * pageSize });
                p.Add(new() { Value = inlineBytes });
            },
            r => new AuditedJobEvent(r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4),
                r.IsDBNull(5) ? null : ParseClone(r.GetString(5))), cancellationToken);
        return new AuditPage<AuditedJobEvent>(items, total);
    }

    /// <summary>The message of one of a root's events as audited, or null when the root has no event with that id.</summary>
    public async Task<JsonElement?> EventPayloadAsync(Guid rootJobId, long eventId, CancellationToken cancellationToken) =>
        (await ListAsync("SELECT payload::text FROM job_events WHERE id = $2 AND root_job_id = $1", p =>
        {
            p.Add(new() { Value = rootJobId });
            p.Add(new() { Value = eventId });
        }, r => (JsonElement?)ParseClone(r.GetString(0)), cancellationToken)).FirstOrDefault();

    /// <summary>A finished job of the root's tree, or null when none with that id has finished (it may be running or waiting).</summary>
    public async Task<AuditedTreeJob?> TreeJobAsync(Guid rootJobId, Guid jobId, CancellationToken cancellationToken) =>
        (await ListAsync($"SELECT {TreeJobColumns} FROM child_jobs WHERE child_job_id = $2 AND root_job_id = $1", p =>
        {
            p.Add(new() { Value = rootJobId });
            p.Add(new() { Value = jobId });
        }, ReadTreeJob, cancellationToken)).FirstOrDefault();

    /// <summary>
    /// The finished children of <paramref name="parentJobId"/> (its spawned children and its continuation), in the order they started
    /// (then by id): <paramref name="limit"/> of them after the first <paramref name="offset"/>, and how many there are in all.
    /// </summary>
    public async Task<AuditPage<AuditedTreeJob>> TreeChildrenAsync(Guid rootJobId, Guid parentJobId, long offset, int limit,
        CancellationToken cancellationToken)
    {
        void Bind(NpgsqlParameterCollection p)
        {
            p.Add(new() { Value = rootJobId });
            p.Add(new() { Value = parentJobId });
        }

        var total = (await ListAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND parent_job_id = $2", Bind, r => r.GetInt64(0),
            cancellationToken)).FirstOrDefault();
        if (limit == 0 || offset >= total) return new AuditPage<AuditedTreeJob>([], total);
        var items = await ListAsync($"""
            SELECT {TreeJobColumns} FROM child_jobs WHERE root_job_id = $1 AND parent_job_id = $2
            ORDER BY started_at, child_job_id LIMIT $3 OFFSET $4
            """, p =>
            {
                Bind(p);
                p.Add(new() { Value = limit });
                p.Add(new() { Value = offset });
            }, ReadTreeJob, cancellationToken);
        return new AuditPage<AuditedTreeJob>(items, total);
    }

    /// <summary>Which of <paramref name="jobIds"/> have finished (have an audited outcome) under the root.</summary>
    public async Task<IReadOnlySet<Guid>> FinishedAmongAsync(Guid rootJobId, IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0) return new HashSet<Guid>();
        var finished = await ListAsync("SELECT child_job_id FROM child_jobs WHERE child_job_id = ANY($2) AND root_job_id = $1", p =>
        {
            p.Add(new() { Value = rootJobId });
            p.Add(new() { Value = jobIds.ToArray() });
        }, r => r.GetGuid(0), cancellationToken);
        return finished.ToHashSet();
    }

    /// <summary>
    /// For each of <paramref name="jobIds"/>: the counts of its whole subtree, walked by parent (a recursive query bounded to these jobs'
    /// descendants), through its finished descendants (audited) and those running now (<paramref name="running"/>, which must hold no
    /// finished job). Waiting: what the finished jobs of the subtree (the job itself included) spawned, children and continuations, that
    /// has neither finished nor is running.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, AuditedSubtree>> SubtreesAsync(Guid rootJobId, IReadOnlyCollection<Guid> jobIds,
        IReadOnlyCollection<RunningTreeJob> running, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0) return new Dictionary<Guid, AuditedSubtree>();
        var rows = await ListAsync("""
            WITH RECURSIVE
            running(id, parent) AS MATERIALIZED (SELECT * FROM unnest($3::uuid[], $4::uuid[])),
            sub(top, id, status, expected, parent_finished, is_top) AS (
              SELECT t.top, t.top, coalesce(c.status, 'Running'), coalesce(c.spawned + c.has_continuation::int, 0), false, true
              FROM unnest($2::uuid[]) AS t(top) LEFT JOIN child_jobs c ON c.child_job_id = t.top AND c.root_job_id = $1
              UNION ALL
              SELECT s.top, n.id, n.status, n.expected, s.status <> 'Running', false
              FROM sub s CROSS JOIN LATERAL (
                SELECT c.child_job_id, c.status, c.spawned + c.has_continuation::int FROM child_jobs c
                WHERE c.root_job_id = $1 AND c.parent_job_id = s.id
                UNION ALL
                SELECT r.id, 'Running', 0 FROM running r WHERE r.parent = s.id
              ) AS n(id, status, expected)
            )
            SELECT top,
                   count(*) FILTER (WHERE NOT is_top AND status = 'Completed'),
                   count(*) FILTER (WHERE NOT is_top AND status = 'Failed'),
                   count(*) FILTER (WHERE NOT is_top AND status = 'Running'),
                   greatest(0, sum(expected) - count(*) FILTER (WHERE NOT is_top AND parent_finished))::bigint,
                   count(*) FILTER (WHERE NOT is_top)
            FROM sub GROUP BY top
            """, p =>
            {
                p.Add(new() { Value = rootJobId });
                p.Add(new() { Value = jobIds.ToArray() });
                p.Add(new() { Value = running.Select(j => j.JobId).ToArray() });
                p.Add(new() { Value = running.Select(j => j.ParentJobId).ToArray() });
            },
            r => (Top: r.GetGuid(0), Counts: new AuditedSubtree(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5))),
            cancellationToken);
        return rows.ToDictionary(r => r.Top, r => r.Counts);
    }

    private static void BindMeasurementFilter(NpgsqlParameterCollection p, AuditedMeasurementFilter filter)
    {
        p.Add(new() { Value = (object?)filter.Platform ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new() { Value = (object?)filter.Dataset ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new() { Value = (object?)filter.From ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new() { Value = (object?)filter.To ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new() { Value = (object?)filter.Platforms?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
    }

    private const string MeasurementsWhere = """
        WHERE ($1::text IS NULL OR platform = $1) AND ($2::text IS NULL OR dataset = $2)
          AND ($3::timestamptz IS NULL OR measured_at >= $3) AND ($4::timestamptz IS NULL OR measured_at < $4)
          AND ($5::text[] IS NULL OR platform = ANY($5))
        """;

    /// <summary>
    /// The measurements matching the filter, the latest <see cref="MaxPointsPerSeries"/> of each series (platform, dataset, subject),
    /// ordered by series and then oldest first.
    /// </summary>
    public Task<IReadOnlyList<AuditedMeasurement>> MeasurementsAsync(AuditedMeasurementFilter filter, CancellationToken cancellationToken) =>
        ListAsync($"""
            SELECT platform, dataset, subject, root_job_id, measured_at, value, previous_value, audit_failed FROM (
              SELECT platform, dataset, subject, root_job_id, measured_at, value, previous_value, audit_failed, id,
                     row_number() OVER (PARTITION BY platform, dataset, subject ORDER BY measured_at DESC, id DESC) AS latest
              FROM data_measurements {MeasurementsWhere}
            ) m WHERE latest <= {MaxPointsPerSeries} ORDER BY platform, dataset, subject, measured_at, id
            """, p => BindMeasurementFilter(p, filter), ReadMeasurement, cancellationToken);

    /// <summary>The measurements matching the filter that failed their audit, the latest <see cref="MaxAuditFailures"/>, newest first.</summary>
    public Task<IReadOnlyList<AuditedMeasurement>> AuditFailuresAsync(AuditedMeasurementFilter filter, CancellationToken cancellationToken) =>
        ListAsync($"""
            SELECT platform, dataset, subject, root_job_id, measured_at, value, previous_value, audit_failed FROM data_measurements
            {MeasurementsWhere} AND audit_failed ORDER BY measured_at DESC, id DESC LIMIT {MaxAuditFailures}
            """, p => BindMeasurementFilter(p, filter), ReadMeasurement, cancellationToken);

    private static AuditedMeasurement ReadMeasurement(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetGuid(3), r.GetFieldValue<DateTimeOffset>(4), r.GetDouble(5),
            r.IsDBNull(6) ? null : r.GetDouble(6), r.GetBoolean(7));

    /// <summary>
    /// Per platform and hour (UTC) since <paramref name="since"/>: the roots that started in that hour, and those that ended in it by final
    /// status. One grouped query; hours without any are not returned.
    /// </summary>
    public Task<IReadOnlyList<AuditedPlatformHour>> HoursAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        ListAsync("""
            SELECT platform, hour, sum(started)::bigint, count(*) FILTER (WHERE ended = 'Completed'), count(*) FILTER (WHERE ended = 'CompletedWithFailures'),
                   count(*) FILTER (WHERE ended = 'Failed'), count(*) FILTER (WHERE ended = 'Cancelled')
            FROM (
              SELECT platform, date_trunc('hour', started_at, 'UTC') AS hour, 1 AS started, NULL::text AS ended FROM root_jobs WHERE started_at >= $1
              UNION ALL
              SELECT platform, date_trunc('hour', finished_at, 'UTC'), 0, status FROM root_jobs WHERE finished_at >= $1
            ) e GROUP BY platform, hour ORDER BY platform, hour
            """, p => p.Add(new() { Value = since }),
            r => new AuditedPlatformHour(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.GetInt64(6)),
            cancellationToken);

    /// <summary>The roots whose audited status is one of <paramref name="statuses"/>, newest start first, at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<AuditedRootJob>> RootJobsInAsync(IReadOnlyList<string> statuses, int limit, CancellationToken cancellationToken) =>
        ListAsync("""
            SELECT root_job_id, platform, status, schedule, total, completed, failed, started_at, finished_at, duration_ms, error
            FROM root_jobs WHERE status = ANY($1) ORDER BY started_at DESC, root_job_id LIMIT $2
            """, p =>
            {
                p.Add(new() { Value = statuses.ToArray() });
                p.Add(new() { Value = limit });
            }, ReadRootJob, cancellationToken);
}
