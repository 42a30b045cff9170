using Jobs.JobTree;
using Jobs.Contracts;
using Microsoft.Extensions.Options;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Tells the reporting side how far every data source is complete. The entry run spawns one <c>read-source</c> child
/// per source; each reads its source's batch and daily tables and hands the result over through Redis; the
/// <c>synchronize</c> continuation computes the synchronized range and publishes everything.
/// </summary>
internal sealed class PreaggregatesIntegration(
    IOptions<PreaggregatesOptions> options,
    IEnumerable<IPreaggregateReader> readers,
    IPreaggregatesWriter writer,
    TimeProvider clock) : Integration<PreaggregatesSettings>
{
    public const string ReadSource = "read-source";
    public const string Synchronize = "synchronize";

    private readonly IReadOnlyDictionary<string, IPreaggregateReader> _readers = readers.ToDictionary(r => r.Kind, StringComparer.Ordinal);

    public override string Name => "preaggregates";

    /// <summary>Only the synchronization publishes anything; a source that cannot be read is a result of its <c>read-source</c>, not a failure.</summary>
    public override IReadOnlyList<string> RequiredTasks => [Synchronize];

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, ReadSource, Synchronize];

    public override string DisplayName => "Preaggregates metadata";

    public override string Description =>
        "Reads how far the batch (hourly) and daily preaggregate tables of every configured source are loaded and publishes, " +
        "per source and synchronized across sources, until when the data is complete.";

    public override async Task RunAsync(JobContext context)
    {
        switch (context.Task)
        {
            case IntegrationTasks.Entry:
                var plan = Plan(context.SettingsAs<PreaggregatesSettings>());
                foreach (var source in plan.Sources) context.SpawnChild(ReadSource, new ReadSourceSettings { Source = source });
                context.ContinueWith(Synchronize, plan);
                break;
            case ReadSource:
                var name = context.SettingsAs<ReadSourceSettings>().Source;
                await SourceReadings.SaveAsync(context.Redis, context.RootJobId, await ReadAsync(context, name));
                break;
            case Synchronize:
                await SynchronizeAsync(context);
                break;
            default:
                throw new InvalidOperationException($"preaggregates has no task '{context.Task}'");
        }
    }

    /// <summary>The settings with every choice made (sources named, policy set); refuses what cannot run, naming every problem.</summary>
    public PreaggregatesSettings Plan(PreaggregatesSettings settings)
    {
        var configured = options.Value.Sources.Keys.Order(StringComparer.Ordinal).ToList();
        var names = settings.Sources.Count == 0 ? configured : settings.Sources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var problems = new List<string>();
        if (configured.Count == 0) problems.Add("no preaggregate sources are configured (Preaggregates:Sources)");
        problems.AddRange(options.Value.Problems(names, _readers.Keys.ToList()));
        if (!PreaggregatesKeys.IsValidName(settings.View))
            problems.Add($"view '{settings.View}': only lower-case letters, digits, '-' and '_', at most 64 characters");
        if (settings.View == PreaggregatesKeys.DefaultView && !configured.All(names.Contains))
            problems.Add($"view '{PreaggregatesKeys.DefaultView}' counts every configured source; name a view for a subset");
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        return new PreaggregatesSettings { Sources = names, DownPolicy = settings.DownPolicy ?? options.Value.DownPolicy, View = settings.View };
    }

    /// <summary>Reads one source. A source that cannot be read is a result (status down, with the error), not a failure.</summary>
    private async Task<PreaggregatesSource> ReadAsync(JobContext context, string name)
    {
        var source = options.Value.Sources[name];
        var zone = TimeZoneInfo.FindSystemTimeZoneById(source.TimeZone);
        var reader = _readers[source.Kind];
        try
        {
            var now = clock.GetUtcNow();
            var batch = await ReadKindAsync(context, reader, source, source.BatchTables, "hour", range => CompletenessRules.Batch(range, zone, now));
            var daily = await ReadKindAsync(context, reader, source, source.DailyTables, "day", range => CompletenessRules.Daily(range, zone, now));
            var kinds = new List<PreaggregatesWindow?>();
            if (source.BatchTables.Count > 0) kinds.Add(batch);
            if (source.DailyTables.Count > 0) kinds.Add(daily);
            var complete = CompletenessRules.CompleteUntil(kinds);
            context.Logger.LogInformation("Source {Source}: batch complete until {Batch}, daily until {Daily}", name, batch?.Until, daily?.Until);
            return new PreaggregatesSource(name, source.Kind, source.TimeZone, PreaggregatesStatus.Ok, null, now, batch, daily, complete, null);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            var error = ConnectionSecrets.Mask($"{e.GetType().Name}: {e.Message}", source.ConnectionString);
            context.Logger.LogWarning("Source {Source} cannot be read: {Error}", name, error);
            return new PreaggregatesSource(name, source.Kind, source.TimeZone, PreaggregatesStatus.Down, error, null, null, null, null, null);
        }
    }

    /// <summary>The range where every table of one kind is complete; null when the source has none or one has nothing complete.</summary>
    private static async Task<PreaggregatesWindow?> ReadKindAsync(JobContext context, IPreaggregateReader reader, PreaggregateSourceOptions source,
        IReadOnlyList<PreaggregateTableOptions> tables, string defaultColumn, Func<LoadedRange?, PreaggregatesWindow?> complete)
    {
        var windows = new List<PreaggregatesWindow?>();
        foreach (var table in tables)
        {
            var column = string.IsNullOrWhiteSpace(table.Column) ? defaultColumn : table.Column;
            windows.Add(complete(await reader.ReadRangeAsync(source, table.Table, column, context.CancellationToken)));
        }

        return CompletenessRules.Intersect(windows);
    }

    private async Task SynchronizeAsync(JobContext context)
    {
        var settings = context.SettingsAs<PreaggregatesSettings>();
        var plan = settings.Sources.Select(name => (Name: name, Source: options.Value.Sources[name]))
            .Select(s => new PlannedSource(s.Name, s.Source.Kind, s.Source.TimeZone, s.Source.BatchTables.Count > 0, s.Source.DailyTables.Count > 0))
            .ToList();
        var readings = await SourceReadings.LoadAsync(context.Redis, context.RootJobId);
        var previous = await writer.LastAsync(settings.View, context.CancellationToken);
        var metadata = Synchronizer.Compute(settings.View, settings.DownPolicy ?? options.Value.DownPolicy, plan, readings, previous, clock.GetUtcNow());
        if (!await writer.PublishAsync(metadata, context.CancellationToken))
        {
            context.Logger.LogInformation("View {View}: a newer computation was published meanwhile; this one is dropped", settings.View);
            return;
        }

        PreaggregatesMetrics.Record(metadata);
        context.Logger.LogInformation("View {View}: complete until {CompleteUntil} ({Reason}); sources {Statuses}", settings.View,
            metadata.Synchronized.CompleteUntil, metadata.Synchronized.Reason ?? "all counted sources complete",
            string.Join(", ", metadata.Sources.Select(s => $"{s.Name}={s.Status}")));
    }
}

/// <summary>The settings of a <c>read-source</c> child: which configured source it reads.</summary>
public sealed class ReadSourceSettings
{
    public string Source { get; set; } = "";
}
