using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Movies;

public sealed class MoviesSettings
{
    public const string EnwikiAbstracts = "https://dumps.wikimedia.org/enwiki/latest/enwiki-latest-abstract.xml.gz";

    [Description("The gzipped Wikipedia abstracts dump (http://, https:// or file://)")]
    public string AbstractsUrl { get; set; } = EnwikiAbstracts;

    [Description("A zip holding movies_metadata.csv, or the CSV itself (http://, https:// or file://)")]
    [Required]
    public string MoviesUrl { get; set; } = "";

    [Description("How many movies with the highest budget/revenue ratio the report keeps")]
    [Range(1, 1_000_000)]
    public int Top { get; set; } = 1000;

    [Description("Movies with a smaller budget are left out (an unparseable budget counts as 0)")]
    [Range(0, 1_000_000_000_000)]
    public long MinBudget { get; set; } = 10_000;

    [Description("Movies with a smaller revenue are left out (an unparseable revenue counts as 0)")]
    [Range(0, 1_000_000_000_000)]
    public long MinRevenue { get; set; } = 10_000;

    [Description("Where downloads are kept between runs (shared by every Integrations process hosting movies); empty: the Integrations process's Movies:CacheDirectory")]
    public string CacheDir { get; set; } = "";

    [Description("Where the report's rows go instead of the platform's movie_report: {\"target\": a name in Storage:Targets} or {\"type\": postgres|mysql|csv|jsonl, \"settings\": {...}}; " +
                 "upserted on tmdb_id into table (or file) movie_report unless settings.table/file names another; absent: the platform's movie_report, replaced atomically")]
    public StorageSettings? Storage { get; set; }
}
