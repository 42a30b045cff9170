using System.Text.Json;
using System.Text.RegularExpressions;
using Jobs.TestSupport;

namespace Jobs.Observability.Tests;

/// <summary>One query of one panel: where it is (dashboard, panel id and title, refId) and its PromQL as written.</summary>
public sealed record PanelQuery(string Dashboard, int PanelId, string Panel, string RefId, string Expr)
{
    public override string ToString() => $"{Dashboard} / #{PanelId} '{Panel}' / {RefId}";
}

/// <summary>A template variable of a dashboard: its name, type, query (for <c>query</c> variables) and the value of its "All".</summary>
public sealed record DashboardVariable(string Name, string Type, string? Query, bool IncludeAll, string? AllValue, string? Constant);

/// <summary>The provisioned Grafana dashboards (infra/grafana/dashboards/*.json), as the test reads them.</summary>
public sealed partial class Dashboard
{
    public const string DatasourceUid = "prometheus";

    private Dashboard(string file, JsonElement json)
    {
        File = file;
        Json = json;
    }

    public static string Directory => Path.Combine(ServiceSystem.RepositoryRoot(), "infra", "grafana", "dashboards");

    public string File { get; }

    public JsonElement Json { get; }

    public string Title => Json.GetProperty("title").GetString()!;

    public static Dashboard FromJson(string file, JsonElement json) => new(file, json.Clone());

    public static IReadOnlyList<Dashboard> All() =>
        System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal)
            .Select(f => new Dashboard(Path.GetFileName(f), JsonDocument.Parse(System.IO.File.ReadAllText(f)).RootElement.Clone()))
            .ToList();

    /// <summary>Every panel, those inside rows included.</summary>
    public IEnumerable<JsonElement> Panels()
    {
        foreach (var panel in Json.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
                foreach (var inner in nested.EnumerateArray()) yield return inner;
        }
    }

    public IEnumerable<JsonElement> QueryPanels() => Panels().Where(p => p.GetProperty("type").GetString() != "row");

    public IEnumerable<PanelQuery> Queries() =>
        from panel in QueryPanels()
        from target in panel.TryGetProperty("targets", out var targets) ? targets.EnumerateArray() : Enumerable.Empty<JsonElement>()
        select new PanelQuery(File, panel.GetProperty("id").GetInt32(), panel.GetProperty("title").GetString() ?? "",
            target.TryGetProperty("refId", out var refId) ? refId.GetString() ?? "" : "", target.TryGetProperty("expr", out var expr) ? expr.GetString() ?? "" : "");

    public IReadOnlyList<DashboardVariable> Variables() =>
        Json.TryGetProperty("templating", out var templating)
            ? templating.GetProperty("list").EnumerateArray().Select(v => new DashboardVariable(
                v.GetProperty("name").GetString()!,
                v.GetProperty("type").GetString()!,
                v.TryGetProperty("query", out var q) ? q.ValueKind == JsonValueKind.Object ? q.GetProperty("query").GetString() : q.GetString() : null,
                v.TryGetProperty("includeAll", out var all) && all.GetBoolean(),
                v.TryGetProperty("allValue", out var allValue) && allValue.ValueKind == JsonValueKind.String ? allValue.GetString() : null,
                v.GetProperty("type").GetString() == "constant" && q.ValueKind == JsonValueKind.String ? q.GetString() : null)).ToList()
            : [];

    /// <summary>What is wrong with the dashboard's structure: uid, title, panel ids, datasources, targets, grid positions, variables.</summary>
    public IEnumerable<string> Problems()
    {
        if (!Json.TryGetProperty("uid", out var uid) || uid.GetString() is not { Length: > 0 }) yield return $"{File}: no uid";
        if (!Json.TryGetProperty("title", out var title) || title.GetString() is not { Length: > 0 }) yield return $"{File}: no title";
        var ids = Panels().Select(p => p.TryGetProperty("id", out var id) ? id.GetInt32() : -1).ToList();
        foreach (var duplicate in ids.GroupBy(i => i).Where(g => g.Count() > 1)) yield return $"{File}: panel id {duplicate.Key} used {duplicate.Count()} times";
        if (ids.Contains(-1)) yield return $"{File}: a panel has no id";
        var variables = Variables().Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var panel in Panels())
        {
            var name = $"{File} / #{(panel.TryGetProperty("id", out var i) ? i.GetInt32() : -1)} '{(panel.TryGetProperty("title", out var t) ? t.GetString() : "")}'";
            if (!panel.TryGetProperty("gridPos", out var grid) || !new[] { "x", "y", "w", "h" }.All(k => grid.TryGetProperty(k, out _)))
                yield return $"{name}: no complete gridPos";
            else if (grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() > 24) yield return $"{name}: wider than the 24-column grid";
            if (panel.GetProperty("type").GetString() == "row") continue;
            if (!panel.TryGetProperty("title", out var panelTitle) || panelTitle.GetString() is not { Length: > 0 }) yield return $"{name}: no title";
            if (!IsPrometheus(panel)) yield return $"{name}: datasource is not the provisioned Prometheus (uid '{DatasourceUid}')";
            if (!panel.TryGetProperty("targets", out var targets) || targets.GetArrayLength() == 0)
            {
                yield return $"{name}: no targets";
                continue;
            }

            var refIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var target in targets.EnumerateArray())
            {
                if (!target.TryGetProperty("expr", out var expr) || expr.GetString() is not { Length: > 0 } promql) yield return $"{name}: a target has no expr";
                else
                    foreach (var used in VariableReference().Matches(promql).Select(m => m.Groups[1].Value).Where(v => !v.StartsWith("__", StringComparison.Ordinal)))
                        if (!variables.Contains(used)) yield return $"{name}: uses ${used}, which the dashboard does not define";
                if (!target.TryGetProperty("refId", out var refId) || refId.GetString() is not { Length: > 0 } r || !refIds.Add(r))
                    yield return $"{name}: a target has no refId, or one used twice";
                if (target.TryGetProperty("datasource", out _) && !IsPrometheus(target)) yield return $"{name}: a target's datasource is not Prometheus";
            }
        }

        foreach (var variable in Variables().Where(v => v.Type == "query"))
            if (variable.Query is null || LabelValues().Match(variable.Query) is not { Success: true })
                yield return $"{File}: variable {variable.Name} is not label_values(<selector>, <label>)";
    }

    /// <summary><c>label_values(selector, label)</c> of a query variable.</summary>
    public static (string Selector, string Label) LabelValuesOf(string query)
    {
        var match = LabelValues().Match(query);
        return (match.Groups["selector"].Value.Trim(), match.Groups["label"].Value.Trim());
    }

    /// <summary>The expression with Grafana's interval variables and the dashboard's variables replaced by <paramref name="values"/>.</summary>
    public static string Substitute(string expr, IReadOnlyDictionary<string, string> values)
    {
        var text = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal)
            .Replace("$__interval", "15s", StringComparison.Ordinal)
            .Replace("$__range", "1h", StringComparison.Ordinal);
        return VariableReference().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
    }

    private static bool IsPrometheus(JsonElement owner) =>
        owner.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object
        && ds.TryGetProperty("type", out var type) && type.GetString() == "prometheus"
        && ds.TryGetProperty("uid", out var uid) && uid.GetString() == DatasourceUid;

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^label_values\((?<selector>.+),\s*(?<label>[A-Za-z_][A-Za-z0-9_]*)\)$")]
    private static partial Regex LabelValues();
}
