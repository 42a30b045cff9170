using Jobs.Contracts;
using Jobs.Platforms;

namespace Jobs.Plugins.Preaggregates;

/// <summary>A source of a run, as configured: its name, kind, time zone and which kinds of tables it has.</summary>
public sealed record PlannedSource(string Name, string Kind, string TimeZone, bool HasBatchTables, bool HasDailyTables);

/// <summary>
/// Turns the readings of one run into the published metadata: a source that could not be read keeps its last known
/// values (status stale) or, never read, is down; the synchronized range is where every counted source is complete.
/// </summary>
public static class Synchronizer
{
    public const string NoReading = "no reading arrived from this source's read-source job (it failed; see its error)";

    public static PreaggregatesMetadata Compute(
        string view,
        DownSourcePolicy policy,
        IReadOnlyList<PlannedSource> plan,
        IReadOnlyDictionary<string, PreaggregatesSource> readings,
        PreaggregatesMetadata? previous,
        DateTimeOffset now)
    {
        var sources = plan.Select(p => Resolve(p, readings.GetValueOrDefault(p.Name), previous, now)).ToList();
        var unreadable = sources.Where(s => s.Status != PreaggregatesStatus.Ok).ToList();
        var counted = policy == DownSourcePolicy.Exclude ? sources.Except(unreadable).ToList() : sources;
        var byName = plan.ToDictionary(p => p.Name, StringComparer.Ordinal);

        var withBatch = counted.Where(s => byName[s.Name].HasBatchTables).ToList();
        var withDaily = counted.Where(s => byName[s.Name].HasDailyTables).ToList();
        var batch = CompletenessRules.Intersect(withBatch.Select(s => s.Batch).ToList());
        var daily = CompletenessRules.Intersect(withDaily.Select(s => s.Daily).ToList());
        var kinds = new List<PreaggregatesWindow?>();
        if (withBatch.Count > 0) kinds.Add(batch);
        if (withDaily.Count > 0) kinds.Add(daily);
        var completeUntil = CompletenessRules.CompleteUntil(kinds);
        var blocking = counted.FirstOrDefault(s => s.Status == PreaggregatesStatus.Down);
        if (blocking is not null) (batch, daily, completeUntil) = (null, null, null);

        var synchronized = new PreaggregatesSynchronized(
            Utc(batch),
            Utc(daily),
            completeUntil?.ToUniversalTime(),
            Lag(completeUntil, now),
            counted.Select(s => s.Name).ToList(),
            counted.Where(s => s.Status == PreaggregatesStatus.Stale).Select(s => s.Name).ToList(),
            sources.Except(counted).Select(s => s.Name).ToList(),
            completeUntil is not null ? null : Reason(counted, blocking, batch is null && withBatch.Count > 0 ? "batch" : "daily"));
        var policyName = SettingsJson.Options.PropertyNamingPolicy!.ConvertName(policy.ToString());
        return new PreaggregatesMetadata(view, now, policyName, synchronized, sources);
    }

    /// <summary>A source as published: its reading now, or else its last known values.</summary>
    private static PreaggregatesSource Resolve(PlannedSource planned, PreaggregatesSource? reading, PreaggregatesMetadata? previous, DateTimeOffset now)
    {
        reading ??= new PreaggregatesSource(planned.Name, planned.Kind, planned.TimeZone, PreaggregatesStatus.Down, NoReading, null, null, null, null, null);
        if (reading.Status != PreaggregatesStatus.Ok)
        {
            var known = previous?.Sources.FirstOrDefault(s => s.Name == planned.Name && s.ReadAt is not null);
            reading = known is null
                ? reading with { Status = PreaggregatesStatus.Down, ReadAt = null, Batch = null, Daily = null, CompleteUntil = null }
                : known with { Kind = planned.Kind, TimeZone = planned.TimeZone, Status = PreaggregatesStatus.Stale, Error = reading.Error };
        }

        return reading with { LagSeconds = Lag(reading.CompleteUntil, now) };
    }

    private static string Reason(IReadOnlyList<PreaggregatesSource> counted, PreaggregatesSource? blocking, string disjointKind)
    {
        if (counted.Count == 0) return "no source can be read";
        if (blocking is not null) return $"source '{blocking.Name}' cannot be read and has no last known values (policy block): {blocking.Error}";
        if (counted.FirstOrDefault(s => s.CompleteUntil is null) is { } empty) return $"source '{empty.Name}' has no complete data";
        return $"the sources' complete {disjointKind} ranges do not overlap";
    }

    private static PreaggregatesWindow? Utc(PreaggregatesWindow? window) =>
        window is null ? null : new PreaggregatesWindow(window.From.ToUniversalTime(), window.Until.ToUniversalTime());

    private static double? Lag(DateTimeOffset? until, DateTimeOffset now) => until is null ? null : (now - until.Value).TotalSeconds;
}
