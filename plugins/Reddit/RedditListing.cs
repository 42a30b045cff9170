using System.Text.Json;

namespace Jobs.Plugins.Reddit;

/// <summary>One submission (<c>t3</c>) of a listing, with what is stored of it (read back as <see cref="RedditSubmissionRow"/>).</summary>
public record RedditSubmission(
    string Fullname,
    string Subreddit,
    string Title,
    string? Author,
    DateTimeOffset CreatedUtc,
    int Score,
    int NumComments,
    int SelftextLength,
    string? Url,
    string? Permalink);

/// <summary>
/// A page of a listing as Reddit returns it, newest first; <see cref="After"/> names the page's last (oldest) item when
/// older ones exist, <see cref="Before"/> its first (newest) when newer ones exist.
/// </summary>
public sealed record RedditListingPage(IReadOnlyList<RedditSubmission> Submissions, string? After, string? Before)
{
    /// <summary>The newest submission of the page: the greatest <c>created_utc</c>, the first listed on a tie.</summary>
    public RedditSubmission? Newest => Submissions.Count == 0 ? null : Submissions.MaxBy(s => s.CreatedUtc);
}

/// <summary>A listing that could not be read; the message names the URL and the reason.</summary>
public sealed class RedditListingException(Uri uri, string reason, Exception? inner = null)
    : Exception($"GET {uri} returned an unreadable listing: {reason}", inner)
{
    public Uri Uri { get; } = uri;
}

/// <summary>Reads Reddit's listing JSON (<c>{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {...}}], ...}}</c>).</summary>
public static class RedditListing
{
    public static RedditListingPage Parse(Uri uri, string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new RedditListingException(uri, $"malformed JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "kind") != "Listing")
                throw new RedditListingException(uri, "not a Listing (no \"kind\": \"Listing\" at the top)");
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("children", out var children) || children.ValueKind != JsonValueKind.Array)
                throw new RedditListingException(uri, "the listing has no data.children array");

            var submissions = new List<RedditSubmission>(children.GetArrayLength());
            var index = 0;
            foreach (var child in children.EnumerateArray())
            {
                if (child.ValueKind == JsonValueKind.Object && Text(child, "kind") == "t3")
                {
                    if (!child.TryGetProperty("data", out var post) || post.ValueKind != JsonValueKind.Object)
                        throw new RedditListingException(uri, $"child {index} has no data object");
                    submissions.Add(Submission(uri, index, post));
                }

                index++;
            }

            return new RedditListingPage(submissions, Text(data, "after"), Text(data, "before"));
        }
    }

    private static RedditSubmission Submission(Uri uri, int index, JsonElement post)
    {
        string Required(string name) => Text(post, name) is { Length: > 0 } value
            ? value
            : throw new RedditListingException(uri, $"child {index} has no \"{name}\"");

        var fullname = Required("name");
        if (!post.TryGetProperty("created_utc", out var created) || created.ValueKind != JsonValueKind.Number)
            throw new RedditListingException(uri, $"child {index} ({fullname}) has no numeric \"created_utc\"");
        return new RedditSubmission(
            fullname,
            Required("subreddit"),
            Text(post, "title") ?? "",
            Text(post, "author"),
            DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(created.GetDouble() * 1000)),
            Whole(post, "score"),
            Whole(post, "num_comments"),
            Text(post, "selftext")?.Length ?? 0,
            Text(post, "url"),
            Text(post, "permalink"));
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int Whole(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? (int)Math.Clamp(Math.Round(value.GetDouble()), int.MinValue, int.MaxValue)
            : 0;
}
