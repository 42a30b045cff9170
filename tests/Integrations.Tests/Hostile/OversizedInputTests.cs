using System.IO.Compression;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Http;
using Jobs.Plugins.Movies;
using Jobs.Integrations.Tests.Catalogue;
using Jobs.Integrations.Tests.Http;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Http;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// Pages, downloads and archives bigger than their limits: refused from what they announce, else while they are read, never
/// after being held whole. The loopback servers are allowlisted for these tests.
/// </summary>
[Collection(HostileInputs.Collection)]
public sealed class OversizedInputTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime, IDisposable
{
    private const int Limit = 1 << 20;
    private const long ServerCap = 1L << 30;

    private readonly string _prefix = $"test-hostile-{Guid.NewGuid():N}:";
    private readonly string _directory = Directory.CreateTempSubdirectory("hostile-sizes-").FullName;
    private TestShop _shop = null!;
    private long _written;
    private int _endlessRequests;
    private readonly TaskCompletionSource _endlessDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        _shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        // A body without end (up to 1 GiB), chunked: only reading it can tell how big it is.
        _shop.Answer("/endless", async context =>
        {
            Interlocked.Increment(ref _endlessRequests);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                // Kestrel drops writes after the client is gone without failing them: the token says when that was.
                while (Interlocked.Read(ref _written) < ServerCap && !context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    Interlocked.Add(ref _written, chunk.Length);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
            {
                // The client let go.
            }
            finally
            {
                _endlessDone.TrySetResult();
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _shop.DisposeAsync();
        await RedisKeys.DeleteByPrefixAsync(host.Redis, _prefix);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PoliteHttpOptions Options() => new PoliteHttpOptions
    {
        KeyPrefix = _prefix, RequestsPerSecond = 0, MaxAttempts = 3, BackoffBase = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(30),
        MaxResponseBytes = Limit,
    }.AllowingLoopback();

    private Uri Url(string path) => new(_shop.BaseAddress, path);

    [Fact]
    public async Task A_page_over_the_limit_fails_its_child_with_the_size_while_it_is_still_arriving()
    {
        OneProductShop.Serve(_shop, "/endless");
        await using var bed = new CatalogueTestbed(host, http => http.MaxResponseBytes = Limit);
        await bed.ResetTablesAsync();

        var children = await bed.CrawlAsync(new { vendor_definition = OneProductShop.Definition("huge_shop", _shop.BaseAddress) });

        var product = Assert.Single(children, c => c.Task == CatalogueIntegration.ProductTask);
        var match = System.Text.RegularExpressions.Regex.Match(product.Error ?? "",
            @"^GET http://127\.0\.0\.1:\d+/endless failed: the response is at least ([\d,]+) bytes long \(read so far\), " +
            @"over the limit of 1,048,576 bytes \(MaxResponseBytes under Integrations:Http\)$");
        Assert.True(match.Success, product.Error);
        // Refused while it came: the client had read no more than the limit and one buffer when it let go of a gigabyte
        // (what the server wrote says little: Kestrel drops writes into a closed connection without failing them at once).
        var read = long.Parse(match.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(read, Limit + 1, Limit + (1 << 20));
        // Not retried.
        Assert.Equal(1, _endlessRequests);
        await _endlessDone.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_page_announcing_more_than_the_limit_is_refused_from_its_content_length()
    {
        _shop.Answer("/announced", async context =>
        {
            context.Response.ContentLength = 50L << 20;
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
        });

        var error = await Assert.ThrowsAsync<HttpFetchException>(() =>
            new PoliteHttpClient(host.Redis, Options(), "catalogue").GetPageAsync(Url("/announced"), CancellationToken.None));

        Assert.EndsWith("/announced failed: the response is 52,428,800 bytes long (Content-Length), over the limit of 1,048,576 bytes (MaxResponseBytes under Integrations:Http)",
            error.Message);
    }

    [Fact]
    public async Task A_gzip_page_is_counted_as_it_inflates()
    {
        var bomb = Gzip(new byte[20 << 20]);
        _shop.Answer("/bomb", async context =>
        {
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync(bomb);
        });

        var error = await Assert.ThrowsAsync<HttpFetchException>(() =>
            new PoliteHttpClient(host.Redis, Options(), "catalogue").GetPageAsync(Url("/bomb"), CancellationToken.None));

        Assert.True(bomb.Length < Limit, "the compressed page itself is under the limit");
        Assert.Contains("(read so far), over the limit of 1,048,576 bytes", error.Message);
    }

    [Fact]
    public async Task A_page_within_the_limit_is_read_whole_with_its_charset()
    {
        _shop.Answer("/fine", async context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(new string('é', 1000));
        });

        var page = await new PoliteHttpClient(host.Redis, Options(), "catalogue").GetPageAsync(Url("/fine"), CancellationToken.None);

        Assert.Equal(new string('é', 1000), page.Body);
    }

    private SourceCache Cache(long maxBytes = long.MaxValue, long minFree = 0, Func<string, long>? freeSpace = null) =>
        new(new PoliteHttpFactory(host.Redis, Microsoft.Extensions.Options.Options.Create(Options())).DownloadsFor("movies", "HostileTests/1.0"), _directory)
        {
            RetryDelay = TimeSpan.Zero,
            MaxBytes = maxBytes,
            MinFreeBytes = minFree,
            FreeSpace = freeSpace ?? (directory => new DriveInfo(directory).AvailableFreeSpace),
        };

    [Fact]
    public async Task A_download_over_its_cap_fails_with_the_size_announced_or_arrived()
    {
        _shop.Answer("/file.bin", context =>
        {
            context.Response.ContentLength = 5000;
            return context.Response.Body.WriteAsync(new byte[5000]).AsTask();
        });

        var announced = await Assert.ThrowsAsync<ResponseTooLargeException>(() => Cache(maxBytes: 1000).FetchAsync(Url("/file.bin"), null, CancellationToken.None));
        var arrived = await Assert.ThrowsAsync<ResponseTooLargeException>(() => Cache(maxBytes: 1000).FetchAsync(Url("/endless"), null, CancellationToken.None));

        Assert.Equal($"{Url("/file.bin")}: 5,000 bytes announced, over the limit of 1,000 bytes (Movies:MaxDownloadBytes)", announced.Message);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(Url("/endless").ToString())}: at least [\d,]+ bytes arrived, over the limit of 1,000 bytes \(Movies:MaxDownloadBytes\)$",
            arrived.Message);
        Assert.Equal(1, _endlessRequests);
    }

    [Fact]
    public async Task A_download_that_would_leave_the_disk_too_full_does_not_start()
    {
        _shop.Answer("/file.bin", context =>
        {
            context.Response.ContentLength = 5000;
            return context.Response.Body.WriteAsync(new byte[5000]).AsTask();
        });

        var error = await Assert.ThrowsAsync<InsufficientDiskSpaceException>(() =>
            Cache(minFree: 1000, freeSpace: _ => 5500).FetchAsync(Url("/file.bin"), null, CancellationToken.None));

        Assert.Contains("5,000 bytes more would leave", error.Message);
        Assert.Contains("Movies:MinFreeDiskBytes keeps 1,000 bytes free", error.Message);
        Assert.DoesNotContain(Directory.GetFiles(_directory), f => f.EndsWith(".part", StringComparison.Ordinal));
        // The real disk is asked by default, and this one has room.
        var fetched = await Cache(minFree: 1).FetchAsync(Url("/file.bin"), null, CancellationToken.None);
        Assert.Equal(5000, fetched.Length);
    }

    [Fact]
    public void A_gzip_dump_that_inflates_past_its_ratio_fails_naming_the_limit()
    {
        var path = Path.Combine(_directory, "abstracts.xml.gz");
        File.WriteAllBytes(path, Gzip(new byte[8 << 20]));
        var limits = new MoviesLimits { RatioFreeBytes = Limit, MaxCompressionRatio = 10 };

        var error = Assert.Throws<ResponseTooLargeException>(() => MoviesEtl.MatchAbstracts(path, [new Movie(1, "Toy Story", 100000, 200000, 0.5, 1995, null, null)], null, CancellationToken.None, limits));

        Assert.StartsWith("abstracts.xml.gz inflates to more than", error.Message);
        Assert.Contains("over the limit of 1,048,576 bytes", error.Message);
    }

    [Fact]
    public void A_zip_entry_declaring_more_than_its_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(_directory, "movies.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = zip.CreateEntry("movies_metadata.csv", CompressionLevel.Optimal).Open();
            var line = "id,title,budget,revenue,release_date\n"u8.ToArray();
            for (var i = 0; i < (8 << 20) / line.Length; i++) entry.Write(line);
        }

        var error = Assert.Throws<InvalidDataException>(() =>
            MoviesEtl.SelectMovies(path, new MoviesSettings(), CancellationToken.None, new MoviesLimits { RatioFreeBytes = Limit, MaxCompressionRatio = 10 }));

        Assert.Contains("movies_metadata.csv declares", error.Message);
        Assert.Contains("over the limit of 1,048,576 bytes", error.Message);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal)) gzip.Write(data);
        return buffer.ToArray();
    }
}
