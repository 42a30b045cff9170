namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Where the <c>preaggregates</c> integration publishes how far every data source is complete, for the reporting
/// side (Reporting's API, or any program that reads Redis). Key names are part of the contract. A <em>view</em> is
/// one set of sources with one synchronized time (<see cref="DefaultView"/>: every configured source).
/// Times are ISO-8601 strings with an offset; a key that holds no time (nothing complete yet) is absent. The view is the keys' hash
/// tag (<c>preaggregates:{default}:…</c>): a view is published in one transaction, which Redis Cluster allows only within one slot.
/// </summary>
internal static class PreaggregatesKeys
{
    public const string DefaultView = "default";

    /// <summary>The whole <see cref="PreaggregatesMetadata"/> of a view as JSON (camelCase).</summary>
    public static string Document(string view) => $"preaggregates:{{{view}}}:document";

    /// <summary>When the view was last computed.</summary>
    public static string ComputedAt(string view) => $"preaggregates:{{{view}}}:computed-at";

    /// <summary>The synchronized time: every table (batch and daily) of every source the view counts is loaded until then.</summary>
    public static string CompleteUntil(string view) => $"preaggregates:{{{view}}}:complete-until";

    /// <summary>The synchronized time of the batch (hourly) tables alone.</summary>
    public static string BatchCompleteUntil(string view) => $"preaggregates:{{{view}}}:batch-complete-until";

    /// <summary>The synchronized time of the daily tables alone.</summary>
    public static string DailyCompleteUntil(string view) => $"preaggregates:{{{view}}}:daily-complete-until";

    /// <summary>How far one source's batch tables are complete, in the source's own offset.</summary>
    public static string SourceBatchCompleteUntil(string view, string source) => $"preaggregates:{{{view}}}:source:{source}:batch-complete-until";

    /// <summary>How far one source's daily tables are complete (whole days in its time zone), in the source's own offset.</summary>
    public static string SourceDailyCompleteUntil(string view, string source) => $"preaggregates:{{{view}}}:source:{source}:daily-complete-until";

    /// <summary>Whether a view or source name is usable in these keys: lower-case letters, digits, '-' and '_', at most 64 characters.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_');
}
