using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

/// <summary>
/// Movies ETL benchmark: generates a synthetic Wikipedia abstracts dump (real format, gzipped) of each size and
/// a Kaggle-style metadata file, measures <c>gzip -dc &gt; /dev/null</c> and .NET's <c>GZipStream</c> into a null stream on the
/// dump (the limit: the ETL's own decompressor with nothing after it), then runs a <c>movies</c> job on them (file:// sources) through the five services, a fresh system per
/// size, and reports the uncompressed MB/s of the abstracts pass and the Integrations process's peak RSS.
/// </summary>
internal static class MoviesBench
{
    private const int Films = 45_000;
    private const int Runs = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = BenchArgs.Value(args, "--movies-gib", "1,4").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var directory = BenchArgs.Value(args, "--movies-dir", Path.Combine(ServiceSystem.RepositoryRoot(), "bench", "out", "movies"));
        Directory.CreateDirectory(directory);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");

        var (moviesCsv, films) = WriteMovies(directory);
        var rows = new List<string>();
        var ok = true;
        foreach (var gib in sizes)
        {
            var (dump, uncompressed) = WriteDump(directory, gib, films);
            var compressed = new FileInfo(dump).Length;
            var gzipSeconds = Enumerable.Range(0, Runs).Select(_ => GzipSeconds(dump)).Min();
            var gzipRate = uncompressed / 1e6 / gzipSeconds;
            var inflateSeconds = Enumerable.Range(0, Runs).Select(_ => GZipStreamSeconds(dump)).Min();
            var inflateRate = uncompressed / 1e6 / inflateSeconds;
            Console.WriteLine($"{gib:0.##} GiB: gzip -dc > /dev/null {gzipSeconds:F2} s ({gzipRate:F0} MB/s), GZipStream -> Stream.Null {inflateSeconds:F2} s "
                              + $"({inflateRate:F0} MB/s); running the movies job {Runs} times on a fresh system ...");

            var (scanSeconds, wallSeconds, peak, matched) = await RunJobsAsync(dump, moviesCsv, directory);
            var rate = uncompressed / 1e6 / scanSeconds;
            var share = rate / inflateRate;
            var peakMb = peak / (1024.0 * 1024.0);
            ok &= share >= 0.9 && peakMb < 250;
            rows.Add($"| {gib:0.##} GiB | {uncompressed / 1e6:N0} | {compressed / 1e6:N0} | {gzipRate:F0} | {inflateRate:F0} | {rate:F0} | {share:P0} | {rate / gzipRate:P0} | {wallSeconds:F1} | {matched:N0} | {peakMb:F0} MB |");
        }

        Console.WriteLine();
        Console.WriteLine("| abstracts (uncompressed) | XML MB | gzip MB | gzip -dc MB/s | GZipStream MB/s (the limit) | movies ETL MB/s (XML) | of GZipStream | of gzip -dc | job wall s | movies matched | Integrations peak RSS |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows) Console.WriteLine(row);
        Console.WriteLine();
        Console.WriteLine($"targets (abstracts pass >= 90% of GZipStream into a null stream, peak RSS < 250 MB at every size): {(ok ? "met" : "NOT met")}");
        return 0;
    }

    /// <summary>Runs the job <see cref="Runs"/> times on a system of its own; the best abstracts-pass time, its job's wall time, the peak RSS.</summary>
    private static async Task<(double ScanSeconds, double WallSeconds, long PeakRss, long Matched)> RunJobsAsync(string dump, string moviesCsv, string directory)
    {
        await using var system = await ServiceSystem.StartAsync("bench-movies", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Integrations__Enabled__0"] = "movies",
            // The job reads its file:// sources from, and keeps its cache in, the benchmark's directory.
            ["Movies__AllowedDirectories__0"] = directory,
        }, "Release");
        using var api = system.ApiClient();
        using var metrics = new HttpClient { BaseAddress = system["Integrations"].BaseAddress };
        double best = double.MaxValue, wallOfBest = 0;
        long matched = 0;
        for (var run = 0; run < Runs; run++)
        {
            var before = await MatchSecondsAsync(metrics);
            var watch = Stopwatch.StartNew();
            var response = await api.PostAsJsonAsync("jobs", new
            {
                platform = "movies",
                settings = new { abstracts_url = new Uri(dump).ToString(), movies_url = new Uri(moviesCsv).ToString(), cache_dir = Path.Combine(directory, "cache") },
            });
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            while (true)
            {
                var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{id}/status");
                var status = job.GetProperty("status").GetString();
                if (status == "Completed") break;
                if (status is "CompletedWithFailures" or "Failed" or "Cancelled")
                    throw new InvalidOperationException($"the movies job ended {status}: {job}\n{system.Diagnostics()}");
                if (watch.Elapsed > TimeSpan.FromMinutes(20)) throw new TimeoutException($"the movies job did not finish:\n{system.Diagnostics()}");
                await Task.Delay(100);
            }

            var wall = watch.Elapsed.TotalSeconds;
            var scan = await MatchSecondsAsync(metrics) - before;
            if (scan < best) (best, wallOfBest) = (scan, wall);
            matched = await MatchedAsync(metrics);
        }

        return (best, wallOfBest, system["Integrations"].PeakRssBytes() ?? 0, matched);
    }

    /// <summary>The Integrations process's total time in the abstracts pass so far (histogram <c>movies_step_seconds</c>, step <c>match</c>).</summary>
    private static async Task<double> MatchSecondsAsync(HttpClient metrics) => Metric(await metrics.GetStringAsync("metrics"), "movies_step_seconds_sum{step=\"match\"}");

    private static async Task<long> MatchedAsync(HttpClient metrics) => (long)Metric(await metrics.GetStringAsync("metrics"), "movies_report_rows{kind=\"matched\"}");

    private static double Metric(string text, string name)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The ETL's decompressor alone: .NET's GZipStream over the same file (read as the ETL reads it) copied into a null stream.</summary>
    private static double GZipStreamSeconds(string dump)
    {
        var watch = Stopwatch.StartNew();
        using var file = new FileStream(dump, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        gzip.CopyTo(Stream.Null, 1 << 16);
        return watch.Elapsed.TotalSeconds;
    }

    private static double GzipSeconds(string dump)
    {
        var watch = Stopwatch.StartNew();
        using var gzip = Process.Start(new ProcessStartInfo("bash", ["-c", $"gzip -dc '{dump}' > /dev/null"]) { UseShellExecute = false })!;
        gzip.WaitForExit();
        if (gzip.ExitCode != 0) throw new InvalidOperationException($"gzip -dc {dump} exited with {gzip.ExitCode}");
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>A Kaggle-style metadata file of <see cref="Films"/> films, a tenth with unparseable amounts and a few malformed rows.</summary>
    private static (string Path, List<(string Title, int Year)> Films) WriteMovies(string directory)
    {
        var random = new Random(11);
        var films = new List<(string, int)>(Films);
        var rows = new List<MovieRow>(Films);
        for (var i = 1; i <= Films; i++)
        {
            var title = $"Synthetic Film {i}";
            var year = 1920 + random.Next(100);
            films.Add((title, year));
            var budget = random.Next(10) == 0 ? "" : (random.NextInt64(1_000, 300_000_000)).ToString(CultureInfo.InvariantCulture);
            var revenue = random.Next(10) == 0 ? "0" : (random.NextInt64(1_000, 900_000_000) + ".0");
            var id = i % 15_000 == 0 ? "1997-08-20" : i.ToString(CultureInfo.InvariantCulture);
            rows.Add(new MovieRow(id, title, budget, revenue, $"{year}-{random.Next(1, 13):00}-{random.Next(1, 29):00}",
                (random.Next(0, 100) / 10.0).ToString(CultureInfo.InvariantCulture), Overview: "A film.\nWith a line break, and \"quotes\"."));
        }

        var path = Path.Combine(directory, "movies_metadata.csv");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false))) MoviesData.WriteCsv(writer, rows);
        return (path, films);
    }

    /// <summary>The gzipped dump of at least <paramref name="gib"/> GiB uncompressed, generated once and kept.</summary>
    private static (string Path, long Uncompressed) WriteDump(string directory, double gib, List<(string Title, int Year)> films)
    {
        var bytes = (long)(gib * 1024 * 1024 * 1024);
        var path = Path.Combine(directory, $"abstracts-{gib.ToString("0.##", CultureInfo.InvariantCulture)}gib-v1.xml.gz");
        var sizeFile = path + ".size";
        if (File.Exists(path) && File.Exists(sizeFile)) return (path, long.Parse(File.ReadAllText(sizeFile), CultureInfo.InvariantCulture));

        Console.WriteLine($"generating a {gib:0.##} GiB abstracts dump (gzip, once; kept in {directory}) ...");
        var watch = Stopwatch.StartNew();
        long written;
        using (var file = File.Create(path + ".tmp"))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            written = MoviesData.WriteSyntheticDump(gzip, bytes, films, filmEvery: 20);
        }

        File.Move(path + ".tmp", path, overwrite: true);
        File.WriteAllText(sizeFile, written.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"  {written / 1e6:N0} MB of XML, {new FileInfo(path).Length / 1e6:N0} MB gzipped, in {watch.Elapsed.TotalSeconds:F0} s");
        return (path, written);
    }
}
