using System.Globalization;

namespace Jobs.Plugins.Movies;

/// <summary>How well a Wikipedia page title names a movie; higher is better, 0 is no match.</summary>
public enum MatchRank
{
    None = 0,
    Title = 1,
    Film = 2,
    YearFilm = 3,
}

/// <summary>
/// Matches Wikipedia page titles to the selected movies: "Title (YYYY film)" with the movie's year beats
/// "Title (film)", which beats the bare "Title" (case-insensitive). A "(YYYY film)" page of another year is
/// another film, never a match. Lookups take spans, so scanning a dump allocates nothing for titles that miss.
/// </summary>
public sealed class TitleMatcher
{
    private const string FilmSuffix = " (film)";
    private const string YearFilmEnd = " film)";

    private readonly Dictionary<string, List<int>> _byTitle = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<int>>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly IReadOnlyList<Movie> _movies;

    public TitleMatcher(IReadOnlyList<Movie> movies)
    {
        _movies = movies;
        for (var i = 0; i < movies.Count; i++)
        {
            if (!_byTitle.TryGetValue(movies[i].Title, out var list)) _byTitle[movies[i].Title] = list = [];
            list.Add(i);
        }

        _lookup = _byTitle.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Calls <paramref name="onMatch"/> for every selected movie the page title matches, with the rank of the match.
    /// Returns whether any matched.
    /// </summary>
    public bool Match(ReadOnlySpan<char> pageTitle, Action<int, MatchRank> onMatch)
    {
        var name = Parse(pageTitle, out var rank, out var year);
        if (!_lookup.TryGetValue(name, out var indices)) return false;
        var any = false;
        foreach (var index in indices)
        {
            if (rank == MatchRank.YearFilm && _movies[index].Year != year) continue;
            onMatch(index, rank);
            any = true;
        }

        return any;
    }

    /// <summary>Splits "King Kong (1933 film)" into "King Kong", YearFilm and 1933; the "(film)" suffix likewise.</summary>
    public static ReadOnlySpan<char> Parse(ReadOnlySpan<char> title, out MatchRank rank, out int? year)
    {
        title = title.Trim();
        year = null;
        if (title.EndsWith(FilmSuffix, StringComparison.Ordinal))
        {
            rank = MatchRank.Film;
            return title[..^FilmSuffix.Length].TrimEnd();
        }

        // " (YYYY film)": 4 digits after " (" and before " film)".
        const int yearFilm = 2 + 4 + 6;
        if (title.Length > yearFilm && title.EndsWith(YearFilmEnd, StringComparison.Ordinal) && title[^yearFilm] == ' ' && title[^(yearFilm - 1)] == '(' &&
            int.TryParse(title.Slice(title.Length - yearFilm + 2, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var filmYear))
        {
            rank = MatchRank.YearFilm;
            year = filmYear;
            return title[..^yearFilm].TrimEnd();
        }

        rank = MatchRank.Title;
        return title;
    }
}
