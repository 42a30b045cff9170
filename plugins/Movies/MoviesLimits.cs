using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Movies;

/// <summary>
/// Configuration <c>Movies</c> (the limits): how much a movies job may download and decompress, so no source can fill the
/// disk or keep a worker inflating a bomb for hours.
/// </summary>
public class MoviesLimits
{
    /// <summary>Largest source downloaded (bytes on disk); checked against Content-Length before and while streaming.</summary>
    [Range(typeof(long), "1", "9223372036854775807", ErrorMessage = "Movies:MaxDownloadBytes must be at least 1")]
    public long MaxDownloadBytes { get; set; } = 50L << 30;

    /// <summary>A download starts only if the cache's disk keeps this much free after it (and stops when it would not).</summary>
    [Range(typeof(long), "0", "9223372036854775807", ErrorMessage = "Movies:MinFreeDiskBytes must not be negative")]
    public long MinFreeDiskBytes { get; set; } = 1L << 30;

    /// <summary>Largest decompressed size of a gzip or zip source, whatever its ratio.</summary>
    [Range(typeof(long), "1", "9223372036854775807", ErrorMessage = "Movies:MaxDecompressedBytes must be at least 1")]
    public long MaxDecompressedBytes { get; set; } = 100L << 30;

    /// <summary>Decompressed bytes per compressed byte allowed beyond <see cref="RatioFreeBytes"/> (real dumps are near 10).</summary>
    [Range(double.Epsilon, double.MaxValue, ErrorMessage = "Movies:MaxCompressionRatio must be positive")]
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>Decompressed size always allowed, whatever the ratio (small test files compress far better than dumps).</summary>
    [Range(typeof(long), "0", "9223372036854775807", ErrorMessage = "Movies:RatioFreeBytes must not be negative")]
    public long RatioFreeBytes { get; set; } = 1L << 30;

    /// <summary>The decompressed bytes allowed for a source of <paramref name="compressedBytes"/>.</summary>
    public long DecompressedLimit(long compressedBytes) =>
        (long)Math.Min(MaxDecompressedBytes, Math.Max(RatioFreeBytes, MaxCompressionRatio * compressedBytes));
}
