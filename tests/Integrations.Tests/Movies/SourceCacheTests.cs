using System.Net;
using Jobs.Plugins.Movies;

namespace Jobs.Integrations.Tests.Movies;

/// <summary>Downloads from a real HTTP server on a loopback port.</summary>
public sealed class SourceCacheTests : IAsyncLifetime
{
    private const string V1 = "\"v1\"";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"source-cache-{Guid.NewGuid():N}");
    private readonly byte[] _content = Content(300_000);
    private LocalFileServer _server = null!;
    private Uri _source = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalFileServer.StartAsync();
        _source = _server.Put("enwiki-latest-abstract.xml.gz", _content, V1);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private SourceCache Cache(int attempts = 3) =>
        new(new HttpClient(), _directory) { RetryDelay = TimeSpan.Zero, MaxAttempts = attempts, IdleTimeout = TimeSpan.FromMilliseconds(500) };

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 % 251)).ToArray();

    [Fact]
    public async Task When_a_download_is_interrupted_Should_resume_from_where_it_stopped_with_a_guarded_range_request()
    {
        _server.FailAtByte = 120_000;
        var progress = new List<DownloadProgress>();

        var local = await Cache().FetchAsync(_source, p => { progress.Add(p); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(_content, await File.ReadAllBytesAsync(local.Path));
        Assert.True(local.Fetched);
        Assert.Equal(2, _server.Requests.Count);
        var resume = _server.Requests[1];
        Assert.Equal(("bytes=120000-", V1, 206, "bytes 120000-299999/300000"), (resume.Range, resume.IfRange, resume.Status, resume.ContentRange));
        Assert.Equal(new DownloadProgress(300_000, 300_000), progress[^1]);
    }

    [Fact]
    public async Task When_the_process_stopped_mid_download_Should_resume_in_the_next_run()
    {
        _server.FailAtByte = 100_000;
        await Assert.ThrowsAnyAsync<IOException>(() => Cache(attempts: 1).FetchAsync(_source, null, CancellationToken.None));

        var local = await Cache().FetchAsync(_source, null, CancellationToken.None);

        Assert.Equal(_content, await File.ReadAllBytesAsync(local.Path));
        Assert.Equal(("bytes=100000-", 206), (_server.Requests[1].Range, _server.Requests[1].Status));
    }

    [Fact]
    public async Task When_the_source_changed_since_the_interruption_Should_download_it_whole()
    {
        _server.FailAtByte = 100_000;
        await Assert.ThrowsAnyAsync<IOException>(() => Cache(attempts: 1).FetchAsync(_source, null, CancellationToken.None));
        var changed = Content(250_000).Reverse().ToArray();
        _server.Put("enwiki-latest-abstract.xml.gz", changed, "\"v2\"");

        var local = await Cache().FetchAsync(_source, null, CancellationToken.None);

        Assert.Equal(changed, await File.ReadAllBytesAsync(local.Path));
        Assert.True(_server.Requests.Count == 2, string.Join(" | ", _server.Requests));
        Assert.Equal(("bytes=100000-", 200), (_server.Requests[^1].Range, _server.Requests[^1].Status));
    }

    [Fact]
    public async Task When_the_cached_copy_is_current_Should_skip_the_download()
    {
        await Cache().FetchAsync(_source, null, CancellationToken.None);

        var again = await Cache().FetchAsync(_source, null, CancellationToken.None);

        Assert.False(again.Fetched);
        Assert.Equal((V1, 304), (_server.Requests[^1].IfNoneMatch, _server.Requests[^1].Status));
        Assert.Equal(_content, await File.ReadAllBytesAsync(again.Path));
    }

    [Fact]
    public async Task When_the_source_changed_Should_download_the_new_version()
    {
        await Cache().FetchAsync(_source, null, CancellationToken.None);
        var changed = Content(1_000);
        _server.Put("enwiki-latest-abstract.xml.gz", changed, "\"v2\"");

        var again = await Cache().FetchAsync(_source, null, CancellationToken.None);

        Assert.True(again.Fetched);
        Assert.Equal(changed, await File.ReadAllBytesAsync(again.Path));
        Assert.Contains("v2", again.Version);
    }

    [Fact]
    public async Task When_a_complete_copy_is_cached_Should_offer_it_without_a_request()
    {
        var cache = Cache();
        Assert.Null(cache.Cached(_source));
        await cache.FetchAsync(_source, null, CancellationToken.None);
        var requests = _server.Requests.Count;

        var cached = cache.Cached(_source);

        Assert.Equal(_content.Length, cached?.Length);
        Assert.Equal(requests, _server.Requests.Count);
    }

    [Fact]
    public async Task When_the_source_is_a_local_file_Should_use_it_in_place_and_version_it_by_size_and_time()
    {
        var path = Path.Combine(Path.GetTempPath(), $"local-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(path, "id,title\n");
        try
        {
            var local = await Cache().FetchAsync(new Uri(path), null, CancellationToken.None);

            Assert.Equal(path, local.Path);
            Assert.False(local.Fetched);
            Assert.Contains("size 9", local.Version);
            Assert.Empty(_server.Requests);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task When_the_server_answers_an_error_Should_fail_naming_the_url_and_status_without_retrying()
    {
        var missing = new Uri(_server.BaseAddress, "missing.xml.gz");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Cache().FetchAsync(missing, null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains(missing.ToString(), error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task When_the_server_keeps_failing_Should_give_up_after_the_attempts()
    {
        _server.Status = 503;

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Cache(attempts: 3).FetchAsync(_source, null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(3, _server.Requests.Count);
    }
}
