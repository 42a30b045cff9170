using System.Net;
using System.Net.Http.Headers;
using Jobs.Integrations.Movies;

namespace Jobs.Integrations.Tests.Movies;

public sealed class SourceCacheTests : IDisposable
{
    private static readonly Uri Source = new("https://dumps.example.test/enwiki-latest-abstract.xml.gz");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"source-cache-{Guid.NewGuid():N}");
    private readonly FileServer _server = new(Content(300_000), "\"v1\"");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private SourceCache Cache() => new(new HttpClient(_server), _directory) { RetryDelay = TimeSpan.Zero, MaxAttempts = 3 };

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 % 251)).ToArray();

    [Fact]
    public async Task When_a_download_is_interrupted_Should_resume_from_where_it_stopped_with_a_guarded_range_request()
    {
        _server.FailAfterBytes = 120_000;
        var progress = new List<DownloadProgress>();

        var local = await Cache().FetchAsync(Source, p => { progress.Add(p); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(_server.Content, await File.ReadAllBytesAsync(local.Path));
        Assert.True(local.Fetched);
        Assert.Equal(2, _server.Requests.Count);
        var resume = _server.Requests[1];
        Assert.Equal(120_000, resume.Range?.Ranges.Single().From);
        Assert.Equal("\"v1\"", resume.IfRange?.EntityTag?.Tag);
        Assert.Equal(new DownloadProgress(300_000, 300_000), progress[^1]);
    }

    [Fact]
    public async Task When_the_process_stopped_mid_download_Should_resume_in_the_next_run()
    {
        _server.FailAfterBytes = 100_000;
        var first = new SourceCache(new HttpClient(_server), _directory) { RetryDelay = TimeSpan.Zero, MaxAttempts = 1 };
        await Assert.ThrowsAnyAsync<IOException>(() => first.FetchAsync(Source, null, CancellationToken.None));

        var local = await Cache().FetchAsync(Source, null, CancellationToken.None);

        Assert.Equal(_server.Content, await File.ReadAllBytesAsync(local.Path));
        Assert.Equal(100_000, _server.Requests[1].Range?.Ranges.Single().From);
        Assert.Equal(200_000, _server.BytesSent - 100_000);
    }

    [Fact]
    public async Task When_the_source_changed_since_the_interruption_Should_download_it_whole()
    {
        _server.FailAfterBytes = 100_000;
        var first = new SourceCache(new HttpClient(_server), _directory) { RetryDelay = TimeSpan.Zero, MaxAttempts = 1 };
        await Assert.ThrowsAnyAsync<IOException>(() => first.FetchAsync(Source, null, CancellationToken.None));
        _server.Replace(Content(250_000).Reverse().ToArray(), "\"v2\"");

        var local = await Cache().FetchAsync(Source, null, CancellationToken.None);

        Assert.Equal(_server.Content, await File.ReadAllBytesAsync(local.Path));
        Assert.Equal(HttpStatusCode.OK, _server.Responses[^1]);
    }

    [Fact]
    public async Task When_the_cached_copy_is_current_Should_skip_the_download()
    {
        await Cache().FetchAsync(Source, null, CancellationToken.None);
        var sent = _server.BytesSent;

        var again = await Cache().FetchAsync(Source, null, CancellationToken.None);

        Assert.False(again.Fetched);
        Assert.Equal(sent, _server.BytesSent);
        Assert.Equal(HttpStatusCode.NotModified, _server.Responses[^1]);
        Assert.Contains("\"v1\"", _server.Requests[^1].IfNoneMatch.Select(t => t.Tag));
        Assert.Equal(_server.Content, await File.ReadAllBytesAsync(again.Path));
    }

    [Fact]
    public async Task When_the_source_changed_Should_download_the_new_version()
    {
        await Cache().FetchAsync(Source, null, CancellationToken.None);
        _server.Replace(Content(1_000), "\"v2\"");

        var again = await Cache().FetchAsync(Source, null, CancellationToken.None);

        Assert.True(again.Fetched);
        Assert.Equal(_server.Content, await File.ReadAllBytesAsync(again.Path));
        Assert.Contains("v2", again.Version);
    }

    [Fact]
    public async Task When_a_complete_copy_is_cached_Should_offer_it_without_a_request()
    {
        var cache = Cache();
        Assert.Null(cache.Cached(Source));
        await cache.FetchAsync(Source, null, CancellationToken.None);
        var requests = _server.Requests.Count;

        var cached = cache.Cached(Source);

        Assert.NotNull(cached);
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
    public async Task When_the_server_answers_an_error_Should_fail_with_its_status()
    {
        _server.Status = HttpStatusCode.NotFound;

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Cache().FetchAsync(Source, null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Single(_server.Requests); // not retried
    }

    /// <summary>Serves one file over "HTTP" with ETag, If-None-Match, Range and If-Range, and can cut the body off.</summary>
    private sealed class FileServer(byte[] content, string etag) : HttpMessageHandler
    {
        public byte[] Content { get; private set; } = content;

        public List<HttpRequestHeaders> Requests { get; } = [];

        public List<HttpStatusCode> Responses { get; } = [];

        public long BytesSent { get; private set; }

        /// <summary>The next body breaks (IOException) once this many bytes of the file have been sent in total.</summary>
        public long? FailAfterBytes { get; set; }

        public HttpStatusCode? Status { get; set; }

        public void Replace(byte[] content, string newEtag)
        {
            Content = content;
            etag = newEtag;
            FailAfterBytes = null;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.Headers);
            var response = Respond(request);
            Responses.Add(response.StatusCode);
            return Task.FromResult(response);
        }

        private HttpResponseMessage Respond(HttpRequestMessage request)
        {
            if (Status is { } status) return new HttpResponseMessage(status);
            if (request.Headers.IfNoneMatch.Any(t => t.Tag == etag))
                return WithEtag(new HttpResponseMessage(HttpStatusCode.NotModified));

            long from = 0;
            var partial = request.Headers.Range?.Ranges.Single().From is { } start && request.Headers.IfRange?.EntityTag?.Tag == etag;
            if (partial) from = request.Headers.Range!.Ranges.Single().From!.Value;
            var body = new CutOffStream(this, Content.AsMemory((int)from).ToArray(), from);
            var response = new HttpResponseMessage(partial ? HttpStatusCode.PartialContent : HttpStatusCode.OK) { Content = new StreamContent(body) };
            response.Content.Headers.ContentLength = Content.Length - from;
            if (partial) response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, Content.Length - 1, Content.Length);
            return WithEtag(response);
        }

        private HttpResponseMessage WithEtag(HttpResponseMessage response)
        {
            response.Headers.ETag = new EntityTagHeaderValue(etag);
            return response;
        }

        private sealed class CutOffStream(FileServer server, byte[] data, long offset) : MemoryStream(data)
        {
            public override int Read(byte[] buffer, int index, int count)
            {
                if (server.FailAfterBytes is { } limit && offset + Position >= limit)
                {
                    server.FailAfterBytes = null;
                    throw new IOException("connection reset (test)");
                }

                if (server.FailAfterBytes is { } cut) count = (int)Math.Min(count, cut - offset - Position);
                var read = base.Read(buffer, index, count);
                server.BytesSent += read;
                return read;
            }

            public override Task<int> ReadAsync(byte[] buffer, int index, int count, CancellationToken cancellationToken) =>
                Task.FromResult(Read(buffer, index, count));

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
            {
                var array = new byte[buffer.Length];
                var read = Read(array, 0, array.Length);
                array.AsMemory(0, read).CopyTo(buffer);
                return ValueTask.FromResult(read);
            }
        }
    }
}
