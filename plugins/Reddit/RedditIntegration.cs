using Jobs.JobTree;
using System.Text.RegularExpressions;
using Jobs.Plugins.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Plugins.Reddit;

/// <summary>
/// Fetches only the new submissions of subreddits (<c>r/&lt;subreddit&gt;/new</c>): the entry spawns one
/// <c>subreddit</c> child per subreddit; each pages from its cursor (the newest fullname seen, in Redis) towards newer
/// submissions with <c>before=</c>, upserts them into <c>reddit_submissions</c> and moves the cursor once all is stored.
/// A cursor whose post was deleted or fell out of the listing (an empty page while newer posts exist), or a cursor
/// lost from Redis, falls back to the <c>created_utc</c> of the newest stored submission; a first run takes the latest
/// page(s) only. A page that cannot be fetched or read fails its subreddit's child, naming the URL and the reason, and
/// leaves the cursor as it was. A job with a <c>storage</c> setting upserts each page into that target instead (the entry
/// creates or checks its table first), with a cursor per subreddit and target; without a cursor there, a child runs as a
/// first run, as the target's newest row is not read back.
/// </summary>
public sealed partial class RedditIntegration(IOptions<RedditOptions> options, StorageTargets storage) : Integration<RedditSettings>
{
    public const string SubredditTask = "subreddit";

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, SubredditTask];

    public override string Name => "reddit";

    public override string DisplayName => "Reddit submissions";

    public override string Description =>
        "Fetches new submissions of subreddits (a cursor per subreddit and target), stores them in reddit_submissions or the job's storage target and publishes their metrics.";

    public override Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        SubmissionStore.EnsureSchemaAsync(postgres, cancellationToken);

    public override Task RunAsync(JobContext context) => context.Task switch
    {
        JobTree.IntegrationTasks.Entry => EntryAsync(context),
        SubredditTask => SubredditAsync(context, context.SettingsAs<RedditStep>()),
        _ => throw new InvalidOperationException($"reddit has no task '{context.Task}'"),
    };

    internal RedditCursors CursorsFor(JobContext context) => new(context.Redis, options.Value);

    private async Task EntryAsync(JobContext context)
    {
        var settings = context.SettingsAs<RedditSettings>();
        var subreddits = Normalize(settings.Subreddits);
        var credentials = settings.ClientId is { Length: > 0 } || settings.ClientSecret is { Length: > 0 };
        if (credentials && !(settings.ClientId is { Length: > 0 } && settings.ClientSecret is { Length: > 0 }))
            throw new InvalidOperationException("client_id and client_secret go together: give both or neither");
        var step = new RedditStep
        {
            ApiBaseUrl = HttpUrl("api_base_url", settings.ApiBaseUrl ?? (credentials ? RedditSettings.OAuthApi : RedditSettings.PublicApi)),
            TokenUrl = HttpUrl("token_url", settings.TokenUrl),
            ClientId = credentials ? settings.ClientId : null,
            ClientSecret = credentials ? settings.ClientSecret : null,
            UserAgent = string.IsNullOrWhiteSpace(settings.UserAgent) ? new RedditSettings().UserAgent : settings.UserAgent,
            PageLimit = settings.PageLimit,
            MaxPages = settings.MaxPages,
            FirstRunPages = settings.FirstRunPages,
            Storage = settings.Storage is { IsSet: true } target ? target : null,
        };

        // The target's table once, here: created, or checked naming the column that does not fit, before any child runs.
        if (settings.Storage is { } given && (given.IsSet || given.Settings is not null))
        {
            await using var sink = storage.Open(given, SubmissionStore.Record, context.Postgres);
            await sink.EnsureAsync(context.CancellationToken);
            context.Logger.LogInformation("Submissions of this job go to {Target}", sink.Description);
        }

        // Fail the job once, here, on bad credentials, rather than once per subreddit; the children find the token cached.
        if (credentials) await new RedditApi(context.Http, context.Redis, options.Value, step).TokenAsync(renew: false, context.CancellationToken);

        foreach (var subreddit in subreddits) context.SpawnChild(SubredditTask, step with { Subreddit = subreddit });
        await context.ReportProgressAsync(100, $"{subreddits.Count} subreddit(s): {string.Join(", ", subreddits)}");
    }

    private async Task SubredditAsync(JobContext context, RedditStep step)
    {
        var subreddit = step.Subreddit;
        var api = new RedditApi(context.Http, context.Redis, options.Value, step);
        var cursors = CursorsFor(context);
        await using var sink = step.Storage is { } target ? storage.Open(target, SubmissionStore.Record, context.Postgres) : null;
        var run = new SubredditRun(context, api, subreddit, sink);
        var cursor = await cursors.GetAsync(subreddit, step.Storage);
        // The newest stored submission is read back from the platform's table only; a target without a cursor starts as a first run.
        var stored = sink is null ? await SubmissionStore.NewestCreatedAsync(context.Postgres, subreddit, context.CancellationToken) : null;
        string how;
        if (cursor is not null)
        {
            how = await run.NewerThanAsync(cursor, step.PageLimit, step.MaxPages);
            if (run.Pages == 1 && run.Newest is null)
            {
                // Nothing newer than the cursor - or the cursor's post is gone. The latest submission tells which.
                var latest = (await api.NewAsync(null, null, 1, context.CancellationToken)).Newest;
                var since = stored ?? cursor.CreatedUtc;
                if (latest is not null && latest.Fullname != cursor.Fullname && latest.CreatedUtc >= since)
                {
                    context.Logger.LogWarning("r/{Subreddit}: nothing newer than the cursor {Cursor}, yet {Latest} is newer; falling back to {Since:O}",
                        subreddit, cursor.Fullname, latest.Fullname, since);
                    how = await run.LatestAsync(since, step.PageLimit, step.MaxPages,
                        sink is null ? "cursor gone, since the newest stored" : "cursor gone, since the cursor's time");
                }
            }
        }
        else if (stored is { } since)
        {
            how = await run.LatestAsync(since, step.PageLimit, step.MaxPages, "no cursor, since the newest stored");
        }
        else
        {
            how = await run.LatestAsync(null, step.PageLimit, step.FirstRunPages, "first run");
        }

        // Every page is stored: only now may the cursor move past what this run read.
        if (run.Newest is { } newest) await cursors.AdvanceAsync(subreddit, new RedditCursor(newest.Fullname, newest.CreatedUtc), step.Storage);
        if (sink is null)
        {
            context.Logger.LogInformation("r/{Subreddit}: {New} new of {Read} read in {Pages} page(s) ({How}); cursor {Cursor}",
                subreddit, run.Created, run.Read, run.Pages, how, run.Newest?.Fullname ?? cursor?.Fullname);
            await context.ReportProgressAsync(100, $"r/{subreddit}: {run.Created} new submission(s) in {run.Pages} page(s) ({how})");
        }
        else
        {
            context.Logger.LogInformation("r/{Subreddit}: {Written} written to {Target} of {Read} read in {Pages} page(s) ({How}); cursor {Cursor}",
                subreddit, run.Written, sink.Description, run.Read, run.Pages, how, run.Newest?.Fullname ?? cursor?.Fullname);
            await context.ReportProgressAsync(100, $"r/{subreddit}: {run.Written} submission(s) written to {sink.Description} in {run.Pages} page(s) ({how})",
                run.Written);
        }
    }

    /// <summary>One subreddit's pages of one run: what it stored, and the newest submission it saw.</summary>
    /// <remarks>With a storage target (<paramref name="sink"/>) each page is upserted there and counted as written; the new-submission metrics count the platform's table only.</remarks>
    private sealed class SubredditRun(JobContext context, RedditApi api, string subreddit, IRecordSink? sink)
    {
        public int Pages { get; private set; }

        public int Read { get; private set; }

        public int Created { get; private set; }

        /// <summary>Rows upserted into the storage target (distinct submissions per page).</summary>
        public int Written { get; private set; }

        public RedditSubmission? Newest { get; private set; }

        /// <summary>Pages from <paramref name="cursor"/> towards newer submissions until none are left or <paramref name="maxPages"/>.</summary>
        public async Task<string> NewerThanAsync(RedditCursor cursor, int limit, int maxPages)
        {
            var before = cursor.Fullname;
            while (Pages < maxPages)
            {
                var page = await FetchAsync(before, null, limit);
                if (page.Newest is not { } newest) break;
                await StoreAsync(page.Submissions, laterPagesAreNewer: true);
                // A short page without a "before" is the newest end of the listing.
                if (newest.Fullname == before || (page.Submissions.Count < limit && page.Before is null)) break;
                before = newest.Fullname;
            }

            return "newer than the cursor";
        }

        /// <summary>
        /// Pages from the latest submission towards older ones with <c>after=</c>, keeping those created at or after
        /// <paramref name="since"/> (all when null), until older ones only, the end of the listing or <paramref name="maxPages"/>.
        /// </summary>
        public async Task<string> LatestAsync(DateTimeOffset? since, int limit, int maxPages, string how)
        {
            string? after = null;
            for (var pages = 0; pages < maxPages; pages++)
            {
                var page = await FetchAsync(null, after, limit);
                var kept = page.Submissions.Where(s => since is null || s.CreatedUtc >= since).ToList();
                await StoreAsync(kept, laterPagesAreNewer: false);
                if (kept.Count < page.Submissions.Count || page.Submissions.Count == 0) break;
                after = page.After ?? page.Submissions[^1].Fullname;
                if (page.After is null && page.Submissions.Count < limit) break;
            }

            return how;
        }

        private async Task<RedditListingPage> FetchAsync(string? before, string? after, int limit)
        {
            Pages++;
            return await api.NewAsync(before, after, limit, context.CancellationToken);
        }

        /// <summary>Upserts a page's submissions and counts them; on a tie in time the first listed, or a later page's when pages go newer, is the newest.</summary>
        private async Task StoreAsync(IReadOnlyList<RedditSubmission> submissions, bool laterPagesAreNewer)
        {
            if (submissions.Count == 0) return;
            if (sink is null)
            {
                var writes = await SubmissionStore.UpsertAsync(context.Postgres, subreddit, submissions, context.CancellationToken);
                RedditMetrics.Record(subreddit, submissions, writes);
                Created += writes.Count(w => w.Created);
            }
            else
            {
                var fetchedAt = DateTimeOffset.UtcNow;
                var rows = submissions.Select(s => (IReadOnlyList<object?>)SubmissionStore.RowOf(subreddit, s, fetchedAt)).ToList();
                try
                {
                    Written += await sink.UpsertAsync(rows, context.CancellationToken);
                }
                catch (StorageException e)
                {
                    throw new InvalidOperationException($"r/{subreddit}, page {Pages}: {e.Message}", e);
                }
            }

            Read += submissions.Count;
            var newest = submissions.MaxBy(s => s.CreatedUtc)!;
            if (Newest is null || newest.CreatedUtc > Newest.CreatedUtc || (laterPagesAreNewer && newest.CreatedUtc == Newest.CreatedUtc))
                Newest = newest;
        }
    }

    /// <summary>Subreddit names as listed in the settings, without an <c>r/</c> prefix, lower case, each once; refuses invalid ones.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> subreddits)
    {
        var names = new List<string>();
        var invalid = new List<string>();
        foreach (var raw in subreddits)
        {
            var name = raw.Trim().TrimStart('/');
            if (name.StartsWith("r/", StringComparison.OrdinalIgnoreCase)) name = name[2..];
            name = name.TrimEnd('/').ToLowerInvariant();
            if (!SubredditName().IsMatch(name)) invalid.Add(raw);
            else if (!names.Contains(name)) names.Add(name);
        }

        if (invalid.Count > 0)
            throw new InvalidOperationException($"invalid subreddit names: {string.Join(", ", invalid.Select(n => $"'{n}'"))}");
        if (names.Count == 0) throw new InvalidOperationException("subreddits is empty: name at least one");
        return names;
    }

    private static string HttpUrl(string setting, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? value
            : throw new InvalidOperationException($"{setting} '{value}' is not an absolute http(s) URL");

    [GeneratedRegex("^[a-z0-9_]{2,21}(\\+[a-z0-9_]{2,21})*$", RegexOptions.CultureInvariant)]
    private static partial Regex SubredditName();
}
