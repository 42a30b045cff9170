using Jobs.Plugins.Movies;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Movies;

public sealed class MovieSelectorTests
{
    private static MovieSelection Select(IEnumerable<MovieRow> rows, int top = 1000, long minBudget = 10_000, long minRevenue = 10_000)
    {
        var csv = new StringWriter();
        MoviesData.WriteCsv(csv, rows);
        return MovieSelector.Select(new StringReader(csv.ToString()), top, minBudget, minRevenue);
    }

    [Fact]
    public void When_budget_or_revenue_is_below_the_minimum_or_unparseable_Should_leave_the_movie_out()
    {
        var selection = Select([
            new MovieRow("1", "Kept", "30000000", "373554033.0", "1995-10-30"),
            new MovieRow("2", "Small budget", "9999", "100000", "1995-01-01"),
            new MovieRow("3", "Small revenue", "100000", "9999.0", "1995-01-01"),
            new MovieRow("4", "Budget text", "/ff9qCepilowshEtG2GYWwzt2bs4.jpg", "100000", "1995-01-01"),
            new MovieRow("5", "No revenue", "100000", "", "1995-01-01"),
            new MovieRow("6", "Exactly the minimum", "10000", "10000", "1995-01-01"),
        ]);

        Assert.Equal(["Exactly the minimum", "Kept"], selection.Movies.Select(m => m.Title));
        Assert.Equal(6, selection.RowsRead);
        Assert.Equal(2, selection.Qualifying);
        Assert.Equal(0, selection.Malformed);
        var kept = selection.Movies.Single(m => m.Title == "Kept");
        Assert.Equal((30_000_000L, 373_554_033L, 1995), (kept.Budget, kept.Revenue, kept.Year));
        Assert.Equal(30_000_000.0 / 373_554_033.0, kept.Ratio, 12);
    }

    [Fact]
    public void When_minimums_are_settings_Should_use_them()
    {
        var selection = Select([new MovieRow("1", "A", "500", "700", "2001-01-01")], minBudget: 100, minRevenue: 100);

        Assert.Equal("A", Assert.Single(selection.Movies).Title);
    }

    [Theory]
    [InlineData("30000000", 30_000_000L)]
    [InlineData("373554033.0", 373_554_033L)]
    [InlineData(" 1.5e7 ", 15_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("", 0L)]
    [InlineData("NaN", 0L)]
    [InlineData("-5", 0L)]
    [InlineData("12,000", 0L)]
    public void When_parsing_amounts_Should_read_numbers_and_count_anything_else_as_zero(string text, long expected)
    {
        Assert.Equal(expected, MovieSelector.Amount(text));
    }

    [Theory]
    [InlineData("1995-10-30", 1995)]
    [InlineData("2004", 2004)]
    [InlineData("", null)]
    [InlineData("unknown", null)]
    public void When_reading_the_year_Should_take_the_part_before_the_first_dash(string releaseDate, int? expected)
    {
        Assert.Equal(expected, MovieSelector.Year(releaseDate));
    }

    [Fact]
    public void When_rows_are_malformed_Should_skip_and_count_them_with_a_reason()
    {
        var csv = MoviesData.Header + "\n" +
                  MoviesData.CsvLine(new MovieRow("1", "Good", "100000", "100000", "1995-01-01")) +
                  MoviesData.CsvLine(new MovieRow("1997-08-20", "Shifted", "100000", "100000", "1995-01-01")) +
                  MoviesData.CsvLine(new MovieRow("3", "", "100000", "100000", "1995-01-01")) +
                  "False,,100000,short row\n" +
                  MoviesData.CsvLine(new MovieRow("5", "Also good", "200000", "100000", "1995-01-01"));

        var selection = MovieSelector.Select(new StringReader(csv), 10, 10_000, 10_000);

        Assert.Equal(["Also good", "Good"], selection.Movies.Select(m => m.Title));
        Assert.Equal(3, selection.Malformed);
        Assert.Equal(1, selection.MalformedByReason["id is not a number"]);
        Assert.Equal(1, selection.MalformedByReason["no title"]);
        Assert.Equal(1, selection.MalformedByReason["wrong number of fields"]);
        Assert.Contains(selection.MalformedSamples, s => s.Contains("'1997-08-20'", StringComparison.Ordinal) && s.StartsWith("line 3:", StringComparison.Ordinal));
    }

    [Fact]
    public void When_more_movies_qualify_than_wanted_Should_keep_the_highest_ratios_best_first()
    {
        var rows = Enumerable.Range(1, 500).Select(i => new MovieRow($"{i}", $"Movie {i}", $"{i * 1000 + 10_000}", "100000", "2000-01-01"));

        var selection = Select(rows, top: 10);

        Assert.Equal(Enumerable.Range(491, 10).Reverse().Select(i => $"Movie {i}"), selection.Movies.Select(m => m.Title));
        Assert.Equal(500, selection.Qualifying);
    }

    [Fact]
    public void When_ratios_tie_at_the_cut_Should_keep_the_lower_ids_whatever_the_row_order()
    {
        var rows = new[] { 40, 10, 30, 20, 50 }.Select(id => new MovieRow($"{id}", $"Tie {id}", "200000", "100000", "2000-01-01"))
            .Append(new MovieRow("99", "Best", "900000", "100000", "2000-01-01")).ToList();

        var forward = Select(rows, top: 3);
        var backward = Select(Enumerable.Reverse(rows), top: 3);

        Assert.Equal(["Best", "Tie 10", "Tie 20"], forward.Movies.Select(m => m.Title));
        Assert.Equal(forward.Movies, backward.Movies);
    }

    [Fact]
    public void When_fewer_movies_qualify_than_wanted_Should_return_all_of_them()
    {
        var selection = Select([
            new MovieRow("1", "One", "100000", "200000", "2000-01-01"),
            new MovieRow("2", "Two", "300000", "200000", "2000-01-01"),
            new MovieRow("3", "Not qualifying", "0", "200000", "2000-01-01"),
        ], top: 1000);

        Assert.Equal(["Two", "One"], selection.Movies.Select(m => m.Title));
    }

    [Fact]
    public void When_the_file_repeats_a_movie_Should_keep_it_once()
    {
        var row = new MovieRow("7", "Twice", "100000", "200000", "2000-01-01");

        var selection = Select([row, row]);

        Assert.Single(selection.Movies);
    }

    [Theory]
    [InlineData("[{'name': 'Pixar Animation Studios', 'id': 3}]", "Pixar Animation Studios")]
    [InlineData("[{'name': 'Imagine Entertainment', 'id': 23}, {'name': 'Touchstone Pictures', 'id': 9195}]", "Imagine Entertainment, Touchstone Pictures")]
    [InlineData("[{'name': \"Lions Gate's Films\", 'id': 1}]", "Lions Gate's Films")]
    [InlineData("[{'name': 'Caf\\xe9 Films', 'id': 1}]", "Café Films")]
    [InlineData("[]", null)]
    [InlineData("False", null)]
    [InlineData("", null)]
    public void When_reading_production_companies_Should_list_the_names(string literal, string? expected)
    {
        Assert.Equal(expected, MovieSelector.CompanyNames(literal));
    }

    [Fact]
    public void When_a_required_column_is_missing_Should_say_which()
    {
        var error = Assert.Throws<InvalidDataException>(() => MovieSelector.Select(new StringReader("id,title,budget\n1,A,5\n"), 10, 0, 0));

        Assert.Contains("'revenue'", error.Message);
    }
}
