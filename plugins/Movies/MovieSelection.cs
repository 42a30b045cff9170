using System.Globalization;
using System.Text;

namespace Jobs.Plugins.Movies;

/// <summary>A movie of the metadata file that qualified for the report.</summary>
public sealed record Movie(long Id, string Title, long Budget, long Revenue, double Ratio, int? Year, double? Rating, string? ProductionCompany);

/// <summary>What reading the metadata file found: the selected movies (best ratio first) and what was left out, and why.</summary>
public sealed record MovieSelection(
    IReadOnlyList<Movie> Movies,
    long RowsRead,
    long Qualifying,
    long Malformed,
    IReadOnlyDictionary<string, long> MalformedByReason,
    IReadOnlyList<string> MalformedSamples);

/// <summary>
/// Streams <c>movies_metadata.csv</c> once and keeps the <c>top</c> movies by budget/revenue among those with
/// budget &gt;= min and revenue &gt;= min (unparseable amounts count as 0). Memory holds <c>top</c> movies, never the file.
/// Ties on the ratio are broken by the lower TMDb id, so the cut is the same on every run.
/// </summary>
public static class MovieSelector
{
    private const int SampleLimit = 20;

    public static MovieSelection Select(TextReader csv, int top, long minBudget, long minRevenue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var reader = new CsvRecordReader(csv);
        var fields = new List<string>(32);
        if (!reader.TryRead(fields, out _)) throw new InvalidDataException("the file is empty");
        var columns = Columns.From(fields);

        var best = new PriorityQueue<Movie, Movie>(top + 1, WorstFirst.Instance);
        var inBest = new HashSet<long>();
        long rows = 0, qualifying = 0, malformed = 0;
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        var samples = new List<string>();
        void Malformed(string kind, string detail)
        {
            malformed++;
            reasons[kind] = reasons.GetValueOrDefault(kind) + 1;
            if (samples.Count < SampleLimit) samples.Add($"line {reader.Line}: {detail}");
        }

        while (reader.TryRead(fields, out var error))
        {
            if ((rows & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            rows++;
            if (error is not null)
            {
                Malformed("unterminated quoted field", error);
                continue;
            }

            if (fields.Count != columns.Count)
            {
                Malformed("wrong number of fields", $"{fields.Count} fields where the header has {columns.Count}");
                continue;
            }

            var idText = fields[columns.Id];
            if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                Malformed("id is not a number", $"id '{Shorten(idText)}' is not a number");
                continue;
            }

            var title = fields[columns.Title].Trim();
            if (title.Length == 0)
            {
                Malformed("no title", $"movie {id} has no title");
                continue;
            }

            var budget = Amount(fields[columns.Budget]);
            var revenue = Amount(fields[columns.Revenue]);
            if (budget < minBudget || revenue < minRevenue || revenue <= 0) continue;
            qualifying++;

            var movie = new Movie(id, title, budget, revenue, (double)budget / revenue, Year(fields[columns.ReleaseDate]),
                columns.Rating is { } r ? Rating(fields[r]) : null,
                columns.Companies is { } c ? CompanyNames(fields[c]) : null);
            if (inBest.Contains(id)) continue; // the file repeats some movies: the first row counts
            if (best.Count < top)
            {
                best.Enqueue(movie, movie);
                inBest.Add(id);
            }
            else if (WorstFirst.Instance.Compare(movie, best.Peek()) > 0)
            {
                inBest.Remove(best.EnqueueDequeue(movie, movie).Id);
                inBest.Add(id);
            }
        }

        var selected = new List<Movie>(best.Count);
        while (best.Count > 0) selected.Add(best.Dequeue());
        selected.Reverse();
        return new MovieSelection(selected, rows, qualifying, malformed, reasons, samples);
    }

    /// <summary>A money amount as a whole number: <c>30000000</c>, <c>373554033.0</c>; anything unparseable is 0.</summary>
    public static long Amount(string text) =>
        decimal.TryParse(text.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is > 0 and < long.MaxValue
            ? (long)Math.Round(value, MidpointRounding.AwayFromZero)
            : 0;

    /// <summary>The part of <c>release_date</c> before the first '-', when it is a number.</summary>
    public static int? Year(string releaseDate)
    {
        var span = releaseDate.AsSpan().Trim();
        var dash = span.IndexOf('-');
        if (dash >= 0) span = span[..dash];
        return int.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var year) ? year : null;
    }

    private static double? Rating(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    /// <summary>
    /// The company names of a <c>production_companies</c> value, a Python literal such as
    /// <c>[{'name': 'Pixar Animation Studios', 'id': 3}]</c>, joined by ", "; null when there are none.
    /// </summary>
    public static string? CompanyNames(string literal)
    {
        var names = new List<string>();
        var span = literal.AsSpan();
        while (true)
        {
            var at = span.IndexOf("name", StringComparison.Ordinal);
            if (at < 1) break;
            var quote = span[at - 1];
            span = span[(at + 4)..];
            if (quote is not ('\'' or '"') || span.Length == 0 || span[0] != quote) continue;
            var rest = span[1..].TrimStart();
            if (rest.Length == 0 || rest[0] != ':') continue;
            rest = rest[1..].TrimStart();
            if (rest.Length == 0 || rest[0] is not ('\'' or '"')) continue;
            var (name, consumed) = PythonString(rest);
            if (name.Length > 0) names.Add(name);
            span = rest[consumed..];
        }

        return names.Count == 0 ? null : string.Join(", ", names);
    }

    /// <summary>Reads a quoted Python string literal at the start of <paramref name="text"/>.</summary>
    private static (string Value, int Consumed) PythonString(ReadOnlySpan<char> text)
    {
        var quote = text[0];
        var value = new StringBuilder();
        var i = 1;
        for (; i < text.Length && text[i] != quote; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                value.Append(text[i]);
                continue;
            }

            var next = text[++i];
            var hex = next switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
            if (hex > 0 && i + hex < text.Length &&
                int.TryParse(text.Slice(i + 1, hex), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            {
                value.Append(char.ConvertFromUtf32(code));
                i += hex;
                continue;
            }

            value.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => next });
        }

        return (value.ToString(), Math.Min(i + 1, text.Length));
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    /// <summary>Orders the worst movie first: lower ratio, then (on a tie) the higher id.</summary>
    private sealed class WorstFirst : IComparer<Movie>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare(Movie? x, Movie? y)
        {
            var byRatio = x!.Ratio.CompareTo(y!.Ratio);
            return byRatio != 0 ? byRatio : y.Id.CompareTo(x.Id);
        }
    }

    private sealed record Columns(int Count, int Id, int Title, int Budget, int Revenue, int ReleaseDate, int? Rating, int? Companies)
    {
        public static Columns From(List<string> header)
        {
            var index = header.Select((name, i) => (name: name.Trim().ToLowerInvariant(), i))
                .GroupBy(c => c.name).ToDictionary(g => g.Key, g => g.First().i);
            int Required(string name) => index.TryGetValue(name, out var i)
                ? i
                : throw new InvalidDataException($"no '{name}' column; its columns: {string.Join(", ", header)}");
            return new Columns(header.Count, Required("id"), Required("title"), Required("budget"), Required("revenue"),
                Required("release_date"), index.TryGetValue("vote_average", out var r) ? r : null,
                index.TryGetValue("production_companies", out var c) ? c : null);
        }
    }
}
