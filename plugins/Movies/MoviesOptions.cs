namespace Jobs.Plugins.Movies;

/// <summary>Configuration section <c>Movies</c> of the Integrations service: where downloads are kept and read from, and the limits.</summary>
public sealed class MoviesOptions : MoviesLimits
{
    public const string Section = "Movies";

    /// <summary>The service's download cache; empty: <c>jobs-movies</c> under the temporary folder.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Directories a job may name: <c>file://</c> sources are read only from them, <c>cache_dir</c> may lie in them.</summary>
    public List<string> AllowedDirectories { get; set; } = [];
}
