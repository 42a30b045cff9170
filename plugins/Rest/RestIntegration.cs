using Jobs.Plugins.Http;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Plugins.Storage;
using Microsoft.Extensions.Options;

namespace Jobs.Plugins.Rest;

/// <summary>
/// A declarative REST source: the entry resolves the job's settings over its named source, checks them all (naming every
/// problem), creates or checks the target table and gets an OAuth token when the source needs one, then spawns one
/// <c>window</c> child per <c>window_days</c> of the job's dates (one child without dates). Each child pages through its window,
/// maps each record's fields to their types, skips what the incremental mark already covers, upserts every page into the
/// storage target, and moves the mark once all its pages are stored.
/// </summary>
public sealed class RestIntegration(IOptions<RestOptions> options, StorageTargets storage) : Integration<RestSettings>
{
    public const string WindowTask = "window";

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, WindowTask];

    public override string Name => "rest";

    public override string DisplayName => "REST API source";

    public override string Description =>
        "Pulls records from any HTTP JSON API (templates, auth, pagination, date windows, an incremental cursor) into a table or file of the job's storage target.";

    public override Task RunAsync(JobContext context) => context.Task switch
    {
        JobTree.IntegrationTasks.Entry => EntryAsync(context),
        WindowTask => WindowAsync(context, context.SettingsAs<RestStep>()),
        _ => throw new InvalidOperationException($"rest has no task '{context.Task}'"),
    };

    private async Task EntryAsync(JobContext context)
    {
        var settings = context.SettingsAs<RestSettings>();
        var o = options.Value;
        RestSettings? source = null;
        if (settings.Source is { } name && !o.Sources.TryGetValue(name, out source))
            throw new InvalidOperationException(o.Sources.Count == 0
                ? $"source '{name}' is not configured (Rest:Sources has none)"
                : $"source '{name}' is not configured; configured: {string.Join(", ", o.Sources.Keys.Order(StringComparer.Ordinal))}");
        var merged = RestDefinition.Merge(source, settings);
        var (step, problems) = RestDefinition.Resolve(settings.Source, merged, o, complete: true);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));

        // The table once, here: created from the field types, or checked (a clear error naming the column) before any child runs.
        await using (var sink = storage.Open(step.Storage, step.RecordTable(), context.Postgres))
        {
            await sink.EnsureAsync(context.CancellationToken);
            context.Logger.LogInformation("Rows of this job go to {Target}", sink.Description);
        }

        if (step.IncrementalKey is { } key)
        {
            var type = step.Fields.First(f => f.Name == step.IncrementalField).Type!;
            if (await new RestMarks(context.Redis, o).GetAsync(key, type) is { } mark) step = step with { Since = mark };
        }

        // Bad credentials fail the job once, here; the children find the token cached.
        await new RestApi(context.Http, context.Redis, o, step).TokenAsync(renew: false, context.CancellationToken);

        var windows = RestDefinition.Windows(merged);
        foreach (var (start, end) in windows) context.SpawnChild(WindowTask, step with { WindowStart = start, WindowEnd = end });
        var window = windows[0].Start is null ? "no date window" : $"{windows[0].Start:yyyy-MM-dd}..{windows[^1].End:yyyy-MM-dd}";
        await context.ReportProgressAsync(100, $"{windows.Count} window child(ren), {window}{(step.Since is { } since ? $", since {since}" : "")}");
    }

    private async Task WindowAsync(JobContext context, RestStep step)
    {
        var o = options.Value;
        var api = new RestApi(context.Http, context.Redis, o, step);
        var table = step.RecordTable();
        var keys = table.KeyIndexes();
        var cursorField = step.IncrementalField is { } f ? step.Fields.FindIndex(x => x.Name == f) : -1;
        var since = step.Since is { } s && cursorField >= 0 ? RestMarks.Parse(s, step.Fields[cursorField].Type!) : null;
        object? newest = null;
        long read = 0, written = 0, skipped = 0;
        var pages = 0;
        double? total = null;
        var state = new RestPageState(step.Pagination.StartPage ?? 1, 0, null, null);
        var origin = api.UriOf(state);
        await using var sink = storage.Open(step.Storage, table, context.Postgres);
        var window = step.WindowStart is null ? "" : $" {step.WindowStart:yyyy-MM-dd}..{step.WindowEnd:yyyy-MM-dd}";

        while (true)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (pages == step.MaxPages)
                throw new InvalidOperationException($"window{window}: more than max_pages ({step.MaxPages}) pages; nothing after page {pages} was read (raise max_pages or shorten window_days)");
            pages++;
            using var answer = await api.FetchAsync(state, context.CancellationToken);
            var root = answer.Json.RootElement;
            var records = Records(answer, step.RecordsPath);
            if (step.Pagination.TotalPath is { } totalPath && JsonPath.TryGet(root, totalPath, out var t) && t.ValueKind == JsonValueKind.Number)
                total = t.GetDouble();

            var rows = new List<IReadOnlyList<object?>>(records.Count);
            for (var i = 0; i < records.Count; i++)
            {
                var row = Row(answer, records[i], i, step, keys);
                if (since is not null && row[cursorField] is { } value && !RestMarks.IsAfter(value, since))
                {
                    skipped++;
                    continue;
                }

                if (cursorField >= 0 && row[cursorField] is { } seen && (newest is null || RestMarks.IsAfter(seen, newest))) newest = seen;
                rows.Add(row);
            }

            if (pages == 1 && step.SampleRecords > 0) await SamplesAsync(context, records, rows, step);
            if (rows.Count > 0)
            {
                try
                {
                    written += await sink.UpsertAsync(rows, context.CancellationToken);
                }
                catch (StorageException e)
                {
                    throw new InvalidOperationException($"page {pages} ({answer.ShownUri}): {e.Message}", e);
                }
            }

            read += records.Count;
            var percent = total is > 0 ? Math.Min(99, read * 100 / total.Value) : 0;
            await context.ReportProgressAsync(percent, $"window{window}: page {pages}, {read} record(s) read, {written} row(s) written", written);

            var next = Next(state, answer, records.Count, read, total, step, origin);
            if (next is null) break;
            state = next;
        }

        // Every page is stored: only now may the mark move past what this window read.
        if (newest is not null && step.IncrementalKey is { } key)
            await new RestMarks(context.Redis, o).AdvanceAsync(key, step.Fields[cursorField].Type!, newest);
        context.Logger.LogInformation("rest{Window}: {Written} row(s) written to {Target} from {Read} record(s) in {Pages} page(s), {Skipped} already had",
            window, written, sink.Description, read, pages, skipped);
        await context.ReportProgressAsync(100, $"window{window}: {written} row(s) written from {read} record(s) in {pages} page(s){(skipped > 0 ? $", {skipped} at or before the mark" : "")}", written);
    }

    /// <summary>The records of a page: the array at <c>records_path</c> (null there is an empty page; no such path is a malformed page).</summary>
    private static List<JsonElement> Records(RestAnswer answer, string? path)
    {
        if (!JsonPath.TryGet(answer.Json.RootElement, path, out var found))
            throw new RestPageException("GET", answer.ShownUri, $"the answer has no '{path}' (records_path)");
        if (found.ValueKind == JsonValueKind.Null) return [];
        if (found.ValueKind != JsonValueKind.Array)
            throw new RestPageException("GET", answer.ShownUri, $"'{(string.IsNullOrEmpty(path) ? "the answer" : path)}' is {found.ValueKind.ToString().ToLowerInvariant()}, not an array of records");
        return [.. found.EnumerateArray()];
    }

    private static object?[] Row(RestAnswer answer, JsonElement record, int index, RestStep step, int[] keys)
    {
        if (record.ValueKind != JsonValueKind.Object)
            throw new RestPageException("GET", answer.ShownUri, $"record {index} is {record.ValueKind.ToString().ToLowerInvariant()}, not an object");
        var row = new object?[step.Fields.Count];
        for (var c = 0; c < step.Fields.Count; c++)
        {
            var field = step.Fields[c];
            if (!JsonPath.TryGet(record, field.Path, out var value)) continue;
            try
            {
                row[c] = ColumnTypes.FromJson(value, field.Type!);
            }
            catch (FormatException e)
            {
                throw new RestPageException("GET", answer.ShownUri, $"record {index}, field '{field.Name}' ({field.Path}): {e.Message}");
            }
        }

        foreach (var k in keys.Where(k => row[k] is null))
            throw new RestPageException("GET", answer.ShownUri, $"record {index} has no value for primary key field '{step.Fields[k].Name}' ({step.Fields[k].Path})");
        return row;
    }

    /// <summary>Where the next page is, or null after the last: an empty or short page, the total read, no next cursor or link.</summary>
    private static RestPageState? Next(RestPageState state, RestAnswer answer, int count, long read, double? total, RestStep step, Uri origin)
    {
        var pagination = step.Pagination;
        if (pagination.Type == RestDefinition.PageNone || count == 0) return null;
        if (total is { } all && read >= all) return null;
        switch (pagination.Type)
        {
            case RestDefinition.PageNumber:
                return pagination.PageSize is { } size && count < size ? null : state with { Page = state.Page + 1 };
            case RestDefinition.PageOffset:
                return count < pagination.PageSize!.Value ? null : state with { Offset = state.Offset + count };
            case RestDefinition.PageCursor:
            {
                if (!JsonPath.TryGet(answer.Json.RootElement, pagination.CursorPath, out var next)) return null;
                var cursor = next.ValueKind switch
                {
                    JsonValueKind.String => next.GetString(),
                    JsonValueKind.Number => next.GetRawText(),
                    _ => null,
                };
                return string.IsNullOrEmpty(cursor) || cursor == state.Cursor ? null : state with { Cursor = cursor };
            }
            default:
            {
                Uri? link;
                if (pagination.NextLinkPath is { } path)
                {
                    link = JsonPath.TryGet(answer.Json.RootElement, path, out var value) && value.ValueKind == JsonValueKind.String
                           && value.GetString() is { Length: > 0 } text && Uri.TryCreate(answer.Uri, text, out var resolved)
                        ? resolved
                        : null;
                }
                else link = answer.LinkNext;

                if (link is null || link == answer.Uri) return null;
                // The source's credentials go with every request: never to another host than the one the job names.
                if (link.Scheme is not ("http" or "https") || !string.Equals(link.Authority, origin.Authority, StringComparison.OrdinalIgnoreCase))
                    throw new RestPageException("GET", answer.ShownUri, $"the next link {UriDisplay.Shown(link)} leaves {origin.Authority}; a source pages on its own host");
                return state with { NextLink = link };
            }
        }
    }

    /// <summary>The first page's records as fetched (<c>original</c>) and as stored (<c>processed</c>), as many as fit in a dataset.</summary>
    private static async Task SamplesAsync(JobContext context, List<JsonElement> records, List<IReadOnlyList<object?>> rows, RestStep step)
    {
        var original = records.Take(step.SampleRecords).Select(r => JsonNode.Parse(r.GetRawText())).ToList();
        var processed = rows.Take(step.SampleRecords).Select(row =>
        {
            var item = new JsonObject();
            for (var c = 0; c < step.Fields.Count; c++)
            {
                item[step.Fields[c].Name] = row[c] switch
                {
                    null => null,
                    string text when step.Fields[c].Type == ColumnTypes.Json => JsonNode.Parse(text),
                    var value => JsonValue.Create(ColumnTypes.Text(value)),
                };
            }

            return item;
        }).ToList();
        await context.StoreDatasetAsync("original", Fit(original));
        await context.StoreDatasetAsync("processed", Fit(processed));
    }

    /// <summary>The first items of <paramref name="items"/> whose JSON fits a dataset.</summary>
    private static List<T> Fit<T>(List<T> items)
    {
        while (items.Count > 0 && JsonSerializer.SerializeToUtf8Bytes(items).Length > JobContext.MaxDatasetBytes) items = items[..(items.Count / 2)];
        return items;
    }
}
