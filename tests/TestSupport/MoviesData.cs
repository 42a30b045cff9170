using System.IO.Compression;
using System.Globalization;
using System.Text;

namespace Jobs.TestSupport;

/// <summary>A film row of a generated Kaggle-style <c>movies_metadata.csv</c>.</summary>
public sealed record MovieRow(
    string Id, string Title, string Budget, string Revenue, string ReleaseDate, string VoteAverage = "6.5",
    string ProductionCompanies = "[{'name': 'Synthetic Pictures', 'id': 1}]", string Overview = "");

/// <summary>Writes movies metadata and Wikipedia abstracts dumps in the real files' formats, for tests and the benchmark.</summary>
public static class MoviesData
{
    /// <summary>A small metadata file (3 qualifying movies) and abstracts dump in <paramref name="directory"/>; a movies job's settings for them.</summary>
    public static async Task<object> WriteSampleSourcesAsync(string directory)
    {
        var movies = Path.Combine(directory, "movies_metadata.csv");
        await using (var writer = new StreamWriter(movies))
        {
            MoviesData.WriteCsv(writer, [
                new MovieRow("244", "King Kong", "672000", "10000000", "1933-03-07"),
                new MovieRow("10730", "King Kong", "24000000", "90614445", "1976-12-17"),
                new MovieRow("862", "Toy Story", "30000000", "373554033.0", "1995-10-30"),
                new MovieRow("1997-08-20", "Broken", "1", "1", ""),
            ]);
        }

        var abstracts = Path.Combine(directory, "enwiki-latest-abstract.xml.gz");
        await using (var gzip = new GZipStream(File.Create(abstracts), CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(MoviesData.Dump(
                MoviesData.Doc("King Kong", "King Kong is a fictional giant monster."),
                MoviesData.Doc("King Kong (1933 film)", "King Kong is a 1933 American pre-Code adventure film."),
                MoviesData.Doc("Toy Story", "Toy Story is a 1995 American computer-animated comedy film."))));
        }

        return new { abstracts_url = new Uri(abstracts).ToString(), movies_url = new Uri(movies).ToString(), cache_dir = Path.Combine(directory, "cache") };
    }

    /// <summary>The 24 columns of Kaggle's <c>movies_metadata.csv</c>, in order.</summary>
    public const string Header =
        "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,original_title,overview,popularity,poster_path," +
        "production_companies,production_countries,release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,vote_count";

    /// <summary>The project's shared sample data (<c>../shared/data</c> beside the repository), or null where it is absent.</summary>
    public static string? SharedData(string relativePath)
    {
        var path = Path.GetFullPath(Path.Combine(ServiceSystem.RepositoryRoot(), "..", "shared", "data", relativePath));
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    public static void WriteCsv(TextWriter writer, IEnumerable<MovieRow> rows)
    {
        writer.Write(Header);
        writer.Write('\n');
        foreach (var row in rows) writer.Write(CsvLine(row));
    }

    /// <summary>One row as the Kaggle file writes it (quoted where needed, newline-terminated).</summary>
    public static string CsvLine(MovieRow row) =>
        string.Join(',', [
            "False", "", row.Budget, Quote("[{'id': 18, 'name': 'Drama'}]"), "", row.Id, "tt0000001", "en", Quote(row.Title), Quote(row.Overview),
            "7.5", "/poster.jpg", Quote(row.ProductionCompanies), Quote("[{'iso_3166_1': 'US', 'name': 'United States of America'}]"),
            row.ReleaseDate, row.Revenue, "90.0", Quote("[{'iso_639_1': 'en', 'name': 'English'}]"), "Released", "", Quote(row.Title), "False",
            row.VoteAverage, "100",
        ]) + "\n";

    public static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>A page of the abstracts dump, written as the dump writes it (one element per line).</summary>
    public static string Doc(string title, string abstractText, int links = 3)
    {
        var path = Uri.EscapeDataString(title.Replace(' ', '_')).Replace("%28", "(", StringComparison.Ordinal).Replace("%29", ")", StringComparison.Ordinal);
        var url = "https://en.wikipedia.org/wiki/" + path;
        var builder = new StringBuilder(256 + abstractText.Length + links * 120);
        builder.Append("<doc>\n<title>Wikipedia: ").Append(Escape(title)).Append("</title>\n<url>").Append(Escape(url)).Append("</url>\n<abstract>")
            .Append(Escape(abstractText)).Append("</abstract>\n<links>\n");
        for (var i = 0; i < links; i++)
        {
            var anchor = Sections[i % Sections.Length];
            builder.Append("<sublink linktype=\"nav\"><anchor>").Append(anchor).Append("</anchor><link>").Append(Escape(url)).Append('#')
                .Append(anchor.Replace(' ', '_')).Append("</link></sublink>\n");
        }

        return builder.Append("</links>\n</doc>\n").ToString();
    }

    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal);

    /// <summary>A whole dump: <c>&lt;feed&gt;</c>, the documents, <c>&lt;/feed&gt;</c>.</summary>
    public static string Dump(params string[] docs) => "<feed>\n" + string.Concat(docs) + "</feed>\n";

    /// <summary>
    /// Writes a synthetic abstracts dump of at least <paramref name="bytes"/> uncompressed bytes: pages of random
    /// English-like text (deterministic for a seed), with a page for one of <paramref name="films"/> every
    /// <paramref name="filmEvery"/> pages, cycling through the title forms "T (YYYY film)", "T (film)" and "T".
    /// Returns the bytes written.
    /// </summary>
    public static long WriteSyntheticDump(Stream output, long bytes, IReadOnlyList<(string Title, int Year)> films, int filmEvery = 500, int seed = 1)
    {
        var random = new Random(seed);
        var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
        long written = 0;
        void Write(string text)
        {
            writer.Write(text);
            written += Encoding.UTF8.GetByteCount(text);
        }

        Write("<feed>\n");
        var text = new StringBuilder();
        for (long page = 0; written < bytes; page++)
        {
            string title;
            if (films.Count > 0 && page % filmEvery == 0)
            {
                var n = page / filmEvery;
                var (film, year) = films[(int)(n % films.Count)];
                title = (n / films.Count % 3) switch { 0 => $"{film} ({year} film)", 1 => $"{film} (film)", _ => film };
            }
            else
            {
                title = $"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} {page.ToString(CultureInfo.InvariantCulture)}";
                title = char.ToUpperInvariant(title[0]) + title[1..];
            }

            text.Clear();
            var sentences = random.Next(1, 4);
            for (var s = 0; s < sentences; s++)
            {
                var words = random.Next(8, 24);
                for (var w = 0; w < words; w++)
                {
                    var word = Words[random.Next(Words.Length)];
                    text.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word).Append(w == words - 1 ? ". " : " ");
                }
            }

            Write(Doc(title, text.ToString().TrimEnd(), random.Next(2, 12)));
        }

        Write("</feed>\n");
        writer.Flush();
        return written;
    }

    private static readonly string[] Sections =
        ["History", "Plot", "Cast", "Production", "Release", "Reception", "Box office", "Legacy", "See also", "References", "External links"];

    private static readonly string[] Common =
    (
        "the of and in to was is for on as by with he that at from his it an were are which this also be has or had first one " +
        "their its new after but who not they have her she two been other when there all during into school time may years more " +
        "most only over city some world would where later up such used many can state about national out known university united " +
        "then made through american team film series album song band river village county district town station church war game"
    ).Split(' ');

    // Common words plus a few thousand made-up ones, so the text compresses about as well as the real dump's.
    private static readonly string[] Words = Common.Concat(Common).Concat(Common).Concat(MadeUpWords(4000)).ToArray();

    private static IEnumerable<string> MadeUpWords(int count)
    {
        string[] syllables = ["ka", "lo", "mer", "an", "tis", "ro", "ve", "sun", "dal", "ith", "or", "pe", "gra", "mon", "el", "qui", "bar", "ne",
            "tor", "ast", "ul", "fen", "wi", "cho", "ry", "bel", "zan", "ot", "ste", "mi"];
        var random = new Random(7);
        for (var i = 0; i < count; i++)
        {
            var word = new StringBuilder();
            for (var s = random.Next(1, 5); s > 0; s--) word.Append(syllables[random.Next(syllables.Length)]);
            yield return word.ToString();
        }
    }
}
