using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Jobs.Plugins.Http;

namespace Jobs.Plugins.Movies;

/// <summary>A source file on local disk: where it is, how long, and what identifies its version.</summary>
/// <param name="Fetched">False when the copy already in the cache was still current (or the source is a local file).</param>
public sealed record LocalSource(string Path, long Length, string Version, bool Fetched);

/// <summary>Bytes of a download so far, and its total when the server said it.</summary>
public readonly record struct DownloadProgress(long Bytes, long? Total);

/// <summary>
/// Keeps downloaded sources in a directory. An <c>http(s)://</c> source is fetched once and revalidated on later
/// runs (ETag / Last-Modified: a 304 costs no transfer); an interrupted download resumes where it stopped with a
/// range request guarded by <c>If-Range</c>, in this run or a later one. A <c>file://</c> source is used in place,
/// its version being its size and modification time.
/// </summary>
public sealed class SourceCache(HttpClient http, string directory)
{
    /// <summary>Reads of the response body that stall this long count as an interruption.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Interruptions of one fetch resumed before it fails.</summary>
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest source kept (the download fails with its size past it); <see cref="MoviesLimits.MaxDownloadBytes"/>.</summary>
    public long MaxBytes { get; init; } = new MoviesLimits().MaxDownloadBytes;

    /// <summary>Free space the cache's disk keeps: a download that would leave less does not start, or stops.</summary>
    public long MinFreeBytes { get; init; } = new MoviesLimits().MinFreeDiskBytes;

    /// <summary>Free bytes on the disk of a directory (replaceable so tests can play a full disk).</summary>
    public Func<string, long> FreeSpace { get; init; } = directory => new DriveInfo(directory).AvailableFreeSpace;

    public string Directory => directory;

    /// <summary>The local copy of <paramref name="source"/>, fetched or refreshed when needed.</summary>
    public async Task<LocalSource> FetchAsync(Uri source, Func<DownloadProgress, Task>? progress, CancellationToken cancellationToken)
    {
        if (source.IsFile) return LocalFile(source);
        if (source.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{source}' is neither http(s):// nor file://", nameof(source));

        System.IO.Directory.CreateDirectory(directory);
        var paths = new CachePaths(directory, source);
        // One fetch of a source at a time (another run on this cache waits for its turn).
        await using var gate = await LockAsync(paths.Lock, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FetchOnceAsync(source, paths, progress, cancellationToken);
            }
            catch (Exception e) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested && Interrupted(e))
            {
                await Task.Delay(RetryDelay * attempt, cancellationToken);
            }
        }
    }

    /// <summary>The cached copy of <paramref name="source"/> when a complete one is there (no request made); else null.</summary>
    public LocalSource? Cached(Uri source)
    {
        if (source.IsFile) return LocalFile(source);
        var paths = new CachePaths(directory, source);
        return ReadMeta(paths.Meta) is { Complete: true } meta && File.Exists(paths.Data) && new FileInfo(paths.Data).Length == meta.Length
            ? new LocalSource(paths.Data, meta.Length, meta.Version, false)
            : null;
    }

    private static LocalSource LocalFile(Uri source)
    {
        var file = new FileInfo(source.LocalPath);
        if (!file.Exists) throw new FileNotFoundException($"{source} does not exist", source.LocalPath);
        return new LocalSource(file.FullName, file.Length, $"size {file.Length}, modified {file.LastWriteTimeUtc:O}", false);
    }

    private async Task<LocalSource> FetchOnceAsync(Uri source, CachePaths paths, Func<DownloadProgress, Task>? progress,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, source);
        var complete = Cached(source) is not null ? ReadMeta(paths.Meta) : null;
        var partial = ReadMeta(paths.PartMeta);
        var partLength = File.Exists(paths.Part) ? new FileInfo(paths.Part).Length : 0;
        if (complete is not null)
        {
            // Revalidate the complete copy.
            if (complete.ETag is { } etag) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
            else if (complete.LastModified is { } modified) request.Headers.IfModifiedSince = modified;
        }
        else if (partial is not null && partLength > 0 && partial.Validator() is { } validator)
        {
            // Resume, unless the source changed since the part was fetched (then the server sends it whole).
            request.Headers.Range = new RangeHeaderValue(partLength, null);
            request.Headers.IfRange = validator;
        }
        else
        {
            partLength = 0;
        }

        HttpResponseMessage sent;
        try
        {
            sent = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (OutboundPolicy.RefusalFor(source, e) is { } refused)
        {
            throw refused; // not an interruption: trying again would be refused again
        }

        using var response = sent;
        if (response.StatusCode == HttpStatusCode.NotModified && complete is not null)
            return new LocalSource(paths.Data, complete.Length, complete.Version, false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The part is not a prefix of what the server has now: start over.
            File.Delete(paths.Part);
            File.Delete(paths.PartMeta);
            throw new DownloadInterruptedException($"{source}: the server refused to resume at byte {partLength}; starting over");
        }

        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{source} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        var resuming = response.StatusCode == HttpStatusCode.PartialContent;
        if (resuming && response.Content.Headers.ContentRange?.From != partLength)
            throw new InvalidDataException($"{source}: asked for bytes from {partLength}, got {response.Content.Headers.ContentRange}");
        var offset = resuming ? partLength : 0;
        long? total = resuming ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
        if (total > MaxBytes)
            throw new ResponseTooLargeException($"{source}: {CappedStream.Bytes(total.Value)} announced, over the limit of {CappedStream.Bytes(MaxBytes)} (Movies:MaxDownloadBytes)");
        EnsureFreeSpace(source, (total ?? offset) - offset);
        var meta = new SourceMeta(source.ToString(), response.Headers.ETag?.ToString(), response.Content.Headers.LastModified, total ?? -1, false);
        WriteMeta(paths.PartMeta, meta);

        await using (var file = new FileStream(paths.Part, resuming ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None,
                         1 << 16, FileOptions.Asynchronous))
        {
            await using var body = new CappedStream(await response.Content.ReadAsStreamAsync(cancellationToken), MaxBytes - offset,
                read => $"{source}: at least {CappedStream.Bytes(offset + read)} arrived, over the limit of {CappedStream.Bytes(MaxBytes)} (Movies:MaxDownloadBytes)");
            await CopyAsync(source, body, file, offset, total, progress, cancellationToken);
            await file.FlushAsync(cancellationToken);
            offset = file.Length;
        }

        if (total is { } expected && offset != expected)
            throw new DownloadInterruptedException($"{source}: the body ended at byte {offset} of {expected}");

        var done = meta with { Length = offset, Complete = true };
        File.Move(paths.Part, paths.Data, overwrite: true);
        WriteMeta(paths.Meta, done);
        File.Delete(paths.PartMeta);
        if (progress is not null) await progress(new DownloadProgress(offset, offset));
        return new LocalSource(paths.Data, offset, done.Version, true);
    }

    /// <summary>Throws when writing <paramref name="bytes"/> more would leave the cache's disk with less than <see cref="MinFreeBytes"/>.</summary>
    private void EnsureFreeSpace(Uri source, long bytes)
    {
        var free = FreeSpace(directory);
        if (free - Math.Max(0, bytes) < MinFreeBytes)
            throw new InsufficientDiskSpaceException(
                $"{source}: {CappedStream.Bytes(Math.Max(0, bytes))} more would leave {directory} with {CappedStream.Bytes(Math.Max(0, free - bytes))} of " +
                $"{CappedStream.Bytes(free)} free; Movies:MinFreeDiskBytes keeps {CappedStream.Bytes(MinFreeBytes)} free");
    }

    private async Task CopyAsync(Uri source, Stream body, Stream file, long offset, long? total, Func<DownloadProgress, Task>? progress,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        var reported = Environment.TickCount64;
        var checkedAt = offset;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            idle.CancelAfter(IdleTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DownloadInterruptedException($"no data for {IdleTimeout.TotalSeconds:F0} s");
            }

            if (read == 0) return;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            offset += read;
            // Without a Content-Length nothing was reserved: look at the disk again every 64 MiB.
            if (total is null && offset - checkedAt >= 64 << 20)
            {
                checkedAt = offset;
                EnsureFreeSpace(source, 0);
            }

            if (progress is not null && Environment.TickCount64 - reported >= 1000)
            {
                reported = Environment.TickCount64;
                await progress(new DownloadProgress(offset, total));
            }
        }
    }

    private static bool Interrupted(Exception e) => e is DownloadInterruptedException or IOException or HttpRequestException { StatusCode: null or >= HttpStatusCode.InternalServerError };

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    private static SourceMeta? ReadMeta(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SourceMeta>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteMeta(string path, SourceMeta meta)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(meta));
        File.Move(temporary, path, overwrite: true);
    }

    private sealed record SourceMeta(string Url, string? ETag, DateTimeOffset? LastModified, long Length, bool Complete)
    {
        public string Version => ETag is not null ? $"etag {ETag}" : LastModified is { } m ? $"last-modified {m:R}" : $"size {Length}";

        public RangeConditionHeaderValue? Validator() =>
            ETag is { } etag && !etag.StartsWith("W/", StringComparison.Ordinal) ? new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(etag))
            : LastModified is { } modified ? new RangeConditionHeaderValue(modified)
            : null;
    }

    /// <summary>Where one source lives in the cache: a name from its URL's hash and its file name.</summary>
    private sealed class CachePaths
    {
        public CachePaths(string directory, Uri source)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.ToString())))[..16];
            var name = Path.GetFileName(source.AbsolutePath);
            var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
            Data = Path.Combine(directory, $"{hash}-{(safe.Length == 0 ? "source" : safe)}");
        }

        public string Data { get; }

        public string Meta => Data + ".json";

        public string Part => Data + ".part";

        public string PartMeta => Data + ".part.json";

        public string Lock => Data + ".lock";
    }
}

/// <summary>The cache's disk has not the room for a download (not retried: waiting does not make room).</summary>
public sealed class InsufficientDiskSpaceException(string message) : InvalidOperationException(message);

/// <summary>A download stopped before its end; it resumes on the next attempt.</summary>
public sealed class DownloadInterruptedException(string message) : IOException(message);
