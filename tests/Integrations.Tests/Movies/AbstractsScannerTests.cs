using System.IO.Compression;
using System.Text;
using Jobs.Plugins.Movies;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Movies;

public sealed class AbstractsScannerTests
{
    private static Movie Film(long id, string title, int? year) => new(id, title, 100_000, 50_000, 2, year, 7, null);

    private static AbstractsScan Scan(string xml, IReadOnlyList<Movie> movies, int bufferSize = 1 << 20) =>
        AbstractsScanner.Scan(new MemoryStream(Encoding.UTF8.GetBytes(xml)), new TitleMatcher(movies), movies.Count, bufferSize: bufferSize);

    [Fact]
    public void When_pages_carry_film_suffixes_Should_prefer_the_right_year_then_film_then_the_bare_title()
    {
        Movie[] movies = [Film(1, "King Kong", 1933), Film(2, "King Kong", 1976), Film(3, "King Kong", 2005), Film(4, "Antwone Fisher", 2002)];
        var xml = MoviesData.Dump(
            MoviesData.Doc("King Kong", "King Kong is a giant ape."),
            MoviesData.Doc("King Kong (1933 film)", "King Kong is a 1933 American pre-Code film."),
            MoviesData.Doc("King Kong (comics)", "Comics."),
            MoviesData.Doc("King Kong (1976 film)", "King Kong is a 1976 American monster film."),
            MoviesData.Doc("Antwone Fisher (film)", "Antwone Fisher is a 2002 American drama film."),
            MoviesData.Doc("Antwone Fisher", "Antwone Quenton Fisher is an American director."),
            MoviesData.Doc("King Kong (2006 film)", "Another film, another year."));

        var scan = Scan(xml, movies);

        Assert.Equal("King Kong (1933 film)", scan.Matches[0]?.PageTitle);
        Assert.Equal("https://en.wikipedia.org/wiki/King_Kong_(1933_film)", scan.Matches[0]?.Url);
        Assert.Equal("King Kong is a 1933 American pre-Code film.", scan.Matches[0]?.Abstract);
        Assert.Equal("King Kong (1976 film)", scan.Matches[1]?.PageTitle);
        Assert.Equal(("King Kong", MatchRank.Title), (scan.Matches[2]?.PageTitle, scan.Matches[2]!.Rank)); // no (2005 film) page; (2006 film) is another film
        Assert.Equal(("Antwone Fisher (film)", MatchRank.Film), (scan.Matches[3]?.PageTitle, scan.Matches[3]!.Rank));
        Assert.Equal(7, scan.Documents);
    }

    [Fact]
    public void When_a_better_page_comes_first_Should_not_replace_it_with_a_worse_one()
    {
        var xml = MoviesData.Dump(MoviesData.Doc("Heat (1995 film)", "The film."), MoviesData.Doc("Heat (film)", "Other."), MoviesData.Doc("Heat", "Physics."));

        var scan = Scan(xml, [Film(1, "Heat", 1995)]);

        Assert.Equal("Heat (1995 film)", scan.Matches[0]?.PageTitle);
    }

    [Fact]
    public void When_titles_hold_entities_or_differ_in_case_Should_still_match()
    {
        var xml = MoviesData.Dump(MoviesData.Doc("Fast & Furious (2009 film)", "Cars <fast> & \"furious\"."), MoviesData.Doc("The Lord Of The Rings", "x"));

        var scan = Scan(xml, [Film(1, "Fast & Furious", 2009), Film(2, "The Lord of the Rings", 1978)]);

        Assert.Equal("Cars <fast> & \"furious\".", scan.Matches[0]?.Abstract);
        Assert.Equal("The Lord Of The Rings", scan.Matches[1]?.PageTitle);
    }

    [Fact]
    public void When_no_page_matches_Should_leave_the_movie_without_one()
    {
        var scan = Scan(MoviesData.Dump(MoviesData.Doc("Anarchism", "Anarchism is a political philosophy.")), [Film(1, "Toy Story", 1995)]);

        Assert.Null(scan.Matches[0]);
        Assert.Equal(0, scan.Matched);
    }

    [Fact]
    public void When_the_abstract_is_empty_or_pretty_printed_Should_read_it()
    {
        const string xml = """
            <feed>
                <doc>
                    <title>Wikipedia: Empty (film)</title>
                    <url>https://en.wikipedia.org/wiki/Empty_(film)</url>
                    <abstract />
                    <links />
                </doc>
                <doc>
                    <title>Wikipedia: Pretty</title>
                    <url>https://en.wikipedia.org/wiki/Pretty</url>
                    <abstract>| producer =</abstract>
                </doc>
            </feed>
            """;

        var scan = Scan(xml, [Film(1, "Empty", 1999), Film(2, "Pretty", 1999)]);

        Assert.Equal("", scan.Matches[0]?.Abstract);
        Assert.Equal("| producer =", scan.Matches[1]?.Abstract);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(4099)]
    [InlineData(5000)]
    public void When_documents_straddle_buffer_refills_Should_find_every_match(int bufferSize)
    {
        var films = Enumerable.Range(0, 50).Select(i => ($"Film {i}", 1990 + i)).ToList();
        var dump = new MemoryStream();
        MoviesData.WriteSyntheticDump(dump, 1_000_000, films, filmEvery: 7);
        var movies = films.Select((f, i) => Film(i, f.Item1, f.Item2)).ToList();

        var small = AbstractsScanner.Scan(new MemoryStream(dump.ToArray()), new TitleMatcher(movies), movies.Count, bufferSize: bufferSize);
        var large = AbstractsScanner.Scan(new MemoryStream(dump.ToArray()), new TitleMatcher(movies), movies.Count);

        Assert.Equal(50, large.Matched);
        Assert.Equal(large.Matches, small.Matches);
        Assert.Equal(large.Documents, small.Documents);
        Assert.Equal(dump.Length, small.BytesScanned);
    }

    [Fact]
    public void When_a_document_is_larger_than_the_buffer_Should_grow_the_buffer()
    {
        var huge = new string('x', 20_000);
        var xml = MoviesData.Dump(MoviesData.Doc("Big (film)", huge, links: 500), MoviesData.Doc("Small", "s"));

        var scan = Scan(xml, [Film(1, "Big", 2000), Film(2, "Small", 2000)], bufferSize: 4096);

        Assert.Equal(huge, scan.Matches[0]?.Abstract);
        Assert.Equal("s", scan.Matches[1]?.Abstract);
    }

    [Fact]
    public void When_the_dump_is_gzipped_Should_stream_it_through_decompression()
    {
        var path = Path.Combine(Path.GetTempPath(), $"abstracts-{Guid.NewGuid():N}.xml.gz");
        try
        {
            using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            {
                var bytes = Encoding.UTF8.GetBytes(MoviesData.Dump(MoviesData.Doc("Toy Story", "Toy Story is a 1995 film.")));
                gzip.Write(bytes);
            }

            var scan = MoviesEtl.MatchAbstracts(path, [Film(1, "Toy Story", 1995)], null, CancellationToken.None);

            Assert.Equal("Toy Story is a 1995 film.", scan.Matches[0]?.Abstract);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void When_the_dump_does_not_close_its_feed_Should_refuse_it(int bufferSize)
    {
        var whole = MoviesData.Dump(Enumerable.Range(0, 100).Select(i => MoviesData.Doc($"Page {i}", "Some text.")).ToArray());

        var error = Assert.Throws<InvalidDataException>(() => Scan(whole[..(whole.Length * 2 / 3)], [Film(1, "Page 1", 2000)], bufferSize));

        Assert.Contains("</feed>", error.Message);
    }

    [Theory]
    [InlineData("King Kong (1933 film)", "King Kong", MatchRank.YearFilm, 1933)]
    [InlineData("Heat (film)", "Heat", MatchRank.Film, null)]
    [InlineData("Heat", "Heat", MatchRank.Title, null)]
    [InlineData("1917 (2019 film)", "1917", MatchRank.YearFilm, 2019)]
    [InlineData("Kong (19x3 film)", "Kong (19x3 film)", MatchRank.Title, null)]
    [InlineData("(1933 film)", "(1933 film)", MatchRank.Title, null)]
    public void When_parsing_page_titles_Should_split_off_the_film_suffix(string title, string name, MatchRank rank, int? year)
    {
        var parsed = TitleMatcher.Parse(title, out var parsedRank, out var parsedYear).ToString();

        Assert.Equal((name, rank, year), (parsed, parsedRank, parsedYear));
    }

    [Theory]
    [InlineData("a &amp; b", "a & b")]
    [InlineData("&lt;x&gt; &quot;q&quot; &apos;s&apos;", "<x> \"q\" 's'")]
    [InlineData("caf&#233; &#x263A; &#128512;", "café ☺ 😀")]
    [InlineData("AT&T &unknown; &", "AT&T &unknown; &")]
    public void When_decoding_character_data_Should_resolve_entities(string xml, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);

        Assert.Equal(expected, XmlText.Decode(bytes, new char[bytes.Length]).ToString());
    }
}
