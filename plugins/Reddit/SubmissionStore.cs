using Jobs.Plugins.Storage;
using Npgsql;

namespace Jobs.Plugins.Reddit;

/// <summary>What an upsert did to one submission: created it, and the comments it added since it was last stored.</summary>
internal sealed record SubmissionWrite(string Fullname, bool Created, long NewComments);

/// <summary>
/// The <c>reddit_submissions</c> table: one row per submission (its fullname is the key, so a submission read twice is
/// updated, never duplicated), with the listing it was first fetched from for the cursor fallback.
/// </summary>
internal static class SubmissionStore
{
    public const string Table = "reddit_submissions";

    /// <summary>
    /// The submissions as a job's storage target gets them: the columns of <c>reddit_submissions</c>, keyed by the fullname; the
    /// table is <c>reddit_submissions</c> unless the target names another.
    /// </summary>
    public static readonly RecordTable Record = new(Table,
    [
        new Column("fullname", ColumnTypes.String),
        new Column("listing", ColumnTypes.String),
        new Column("subreddit", ColumnTypes.String),
        new Column("title", ColumnTypes.String),
        new Column("author", ColumnTypes.String),
        new Column("created_utc", ColumnTypes.Timestamp),
        new Column("score", ColumnTypes.Integer),
        new Column("num_comments", ColumnTypes.Integer),
        new Column("selftext_length", ColumnTypes.Integer),
        new Column("url", ColumnTypes.String),
        new Column("permalink", ColumnTypes.String),
        new Column("fetched_at", ColumnTypes.Timestamp),
    ], ["fullname"]);

    /// <summary>A submission fetched from <paramref name="listing"/> as a row of <see cref="Record"/>.</summary>
    public static object?[] RowOf(string listing, RedditSubmission s, DateTimeOffset fetchedAt) =>
    [
        s.Fullname, listing, s.Subreddit, s.Title, s.Author, s.CreatedUtc.ToUniversalTime(), (long)s.Score, (long)s.NumComments,
        (long)s.SelftextLength, s.Url, s.Permalink, fetchedAt.ToUniversalTime(),
    ];

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS reddit_submissions (
            fullname text PRIMARY KEY,
            listing text NOT NULL,
            subreddit text NOT NULL,
            title text NOT NULL,
            author text,
            created_utc timestamptz NOT NULL,
            score integer NOT NULL,
            num_comments integer NOT NULL,
            selftext_length integer NOT NULL,
            url text,
            permalink text,
            fetched_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS reddit_submissions_listing_created ON reddit_submissions (listing, created_utc DESC);
        CREATE INDEX IF NOT EXISTS reddit_submissions_subreddit_created ON reddit_submissions (lower(subreddit), created_utc DESC);
        CREATE INDEX IF NOT EXISTS reddit_submissions_created ON reddit_submissions (created_utc);
        """;

    // The "before" CTE sees the rows as they were when the statement started, so new comments are counted once.
    private const string Upsert = """
        WITH input AS (
            SELECT * FROM unnest(@fullname, @subreddit, @title, @author, @created_utc, @score, @num_comments, @selftext_length, @url, @permalink)
                AS t(fullname, subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink)
        ), before AS (
            SELECT s.fullname, s.num_comments FROM reddit_submissions s JOIN input i ON i.fullname = s.fullname
        ), written AS (
            INSERT INTO reddit_submissions AS s
                (fullname, listing, subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink, fetched_at)
            SELECT fullname, @listing, subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink, now() FROM input
            ON CONFLICT (fullname) DO UPDATE SET
                subreddit = excluded.subreddit, title = excluded.title, author = excluded.author, score = excluded.score,
                num_comments = excluded.num_comments, selftext_length = excluded.selftext_length, url = excluded.url,
                permalink = excluded.permalink, fetched_at = excluded.fetched_at
            RETURNING s.fullname, s.num_comments
        )
        SELECT w.fullname, b.fullname IS NULL, greatest(w.num_comments - coalesce(b.num_comments, 0), 0)::bigint
        FROM written w LEFT JOIN before b ON b.fullname = w.fullname
        """;

    public static Task EnsureSchemaAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        PostgresSchema.ApplyAsync(postgres, "reddit-schema", Schema, cancellationToken);

    /// <summary>Inserts or updates <paramref name="submissions"/> (fetched from <paramref name="listing"/>) in one statement.</summary>
    public static async Task<IReadOnlyList<SubmissionWrite>> UpsertAsync(NpgsqlDataSource postgres, string listing,
        IReadOnlyList<RedditSubmission> submissions, CancellationToken cancellationToken)
    {
        // One statement cannot touch a row twice: a submission listed twice is written once.
        var rows = submissions.DistinctBy(s => s.Fullname, StringComparer.Ordinal).ToList();
        if (rows.Count == 0) return [];
        await using var command = postgres.CreateCommand(Upsert);
        command.Parameters.Add(new NpgsqlParameter<string>("listing", listing));
        command.Parameters.Add(new NpgsqlParameter<string[]>("fullname", rows.Select(s => s.Fullname).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("subreddit", rows.Select(s => s.Subreddit).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("title", rows.Select(s => s.Title).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("author", rows.Select(s => s.Author).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("created_utc", rows.Select(s => s.CreatedUtc.UtcDateTime).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int[]>("score", rows.Select(s => s.Score).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int[]>("num_comments", rows.Select(s => s.NumComments).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int[]>("selftext_length", rows.Select(s => s.SelftextLength).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("url", rows.Select(s => s.Url).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("permalink", rows.Select(s => s.Permalink).ToArray()));
        var writes = new List<SubmissionWrite>(rows.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            writes.Add(new SubmissionWrite(reader.GetString(0), reader.GetBoolean(1), reader.GetInt64(2)));
        return writes;
    }

    /// <summary>The <c>created_utc</c> of the newest submission stored from <paramref name="listing"/>, if any.</summary>
    public static async Task<DateTimeOffset?> NewestCreatedAsync(NpgsqlDataSource postgres, string listing, CancellationToken cancellationToken)
    {
        await using var command = postgres.CreateCommand($"SELECT max(created_utc) FROM {Table} WHERE listing = @listing");
        command.Parameters.Add(new NpgsqlParameter<string>("listing", listing));
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime newest
            ? new DateTimeOffset(DateTime.SpecifyKind(newest, DateTimeKind.Utc))
            : null;
    }
}
