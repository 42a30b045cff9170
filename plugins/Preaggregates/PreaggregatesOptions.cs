using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Configuration section <c>Preaggregates</c>: the data sources (service configuration, never job settings, since
/// connection strings are secrets) and the defaults of a run.
/// </summary>
public sealed class PreaggregatesOptions
{
    public const string Section = "Preaggregates";

    /// <summary>The sources by name (lower-case letters, digits, '-' and '_').</summary>
    public Dictionary<string, PreaggregateSourceOptions> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What a source that cannot be read does to the synchronized time when the job does not say.</summary>
    [EnumDataType(typeof(DownSourcePolicy), ErrorMessage = "Preaggregates:DownPolicy must be block or exclude")]
    public DownSourcePolicy DownPolicy { get; set; } = DownSourcePolicy.Block;

    /// <summary>Seconds to wait for a connection to a source.</summary>
    [Range(0, 1024, ErrorMessage = "Preaggregates:ConnectTimeoutSeconds must be between {1} and {2} (0: no limit)")]
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>Seconds one query of a source may take.</summary>
    [Range(0, 86_400, ErrorMessage = "Preaggregates:CommandTimeoutSeconds must be between {1} and {2} (0: no limit)")]
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>Every problem of the configuration of <paramref name="names"/>, with the readers this process has.</summary>
    public IReadOnlyList<string> Problems(IEnumerable<string> names, IReadOnlyCollection<string> kinds)
    {
        var problems = new List<string>();
        foreach (var name in names)
        {
            if (!Sources.TryGetValue(name, out var source))
            {
                problems.Add($"source '{name}' is not configured (Preaggregates:Sources has: {string.Join(", ", Sources.Keys.Order(StringComparer.Ordinal))})");
                continue;
            }

            if (!PreaggregatesKeys.IsValidName(name))
                problems.Add($"source '{name}': the name may only have lower-case letters, digits, '-' and '_'");
            if (!kinds.Contains(source.Kind))
                problems.Add($"source '{name}': kind '{source.Kind}' has no reader (known: {string.Join(", ", kinds)})");
            if (string.IsNullOrWhiteSpace(source.ConnectionString)) problems.Add($"source '{name}': ConnectionString is empty");
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(source.TimeZone, out _))
                problems.Add($"source '{name}': time zone '{source.TimeZone}' is unknown (use an IANA id such as Europe/Berlin)");
            if (source.BatchTables.Count + source.DailyTables.Count == 0) problems.Add($"source '{name}': no BatchTables and no DailyTables");
            foreach (var table in source.BatchTables.Concat(source.DailyTables).Where(t => string.IsNullOrWhiteSpace(t.Table)))
                problems.Add($"source '{name}': a table entry has no Table (column '{table.Column}')");
        }

        return problems;
    }
}

/// <summary>One data source: where it is, which preaggregate tables it has, and the time zone its days are in.</summary>
public sealed class PreaggregateSourceOptions
{
    /// <summary>Which reader reads it (<c>postgres</c>).</summary>
    public string Kind { get; set; } = PostgresPreaggregateReader.KindName;

    /// <summary>A secret: never logged, never returned.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>IANA time zone: a day of a daily table is counted only when it is over there; timestamps without a zone are read in it.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Hourly tables: a row for hour H means H to H+1h is loaded.</summary>
    public List<PreaggregateTableOptions> BatchTables { get; set; } = [];

    /// <summary>Daily tables: a row for day D means the whole day D (in <see cref="TimeZone"/>) is loaded.</summary>
    public List<PreaggregateTableOptions> DailyTables { get; set; } = [];
}

/// <summary>A table (optionally schema-qualified) and its time column (date, timestamp or timestamptz).</summary>
public sealed class PreaggregateTableOptions
{
    public string Table { get; set; } = "";

    /// <summary>The hour (batch) or day (daily) column; empty means <c>hour</c> or <c>day</c>.</summary>
    public string Column { get; set; } = "";
}
