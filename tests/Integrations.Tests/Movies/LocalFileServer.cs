using System.Collections.Concurrent;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Jobs.Integrations.Tests.Movies;

/// <summary>What the server saw and answered for one request.</summary>
public sealed record ServedRequest(string? Range, string? IfRange, string? IfNoneMatch, int Status, string? ContentRange);

/// <summary>
/// A real HTTP server on a loopback port (Kestrel) serving files from memory the way a dump mirror does: ETag and
/// Last-Modified, conditional GETs (304), range requests guarded by If-Range (206). It can break a body off
/// after a given byte by aborting the connection, as a network failure would.
/// </summary>
public sealed class LocalFileServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (byte[] Content, string ETag)> _files = new();
    // In arrival order; each entry is completed when its response headers go out (before any body, so a stalled or
    // broken-off response is already recorded when the client gives up on it).
    private readonly ConcurrentQueue<ServedRequest[]> _requests = new();
    private readonly WebApplication _app;

    private LocalFileServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ServedRequest> Requests => _requests.Select(r => r[0]).ToArray();

    /// <summary>The next response for a file stalls once this absolute byte of the file is sent (the client's idle timeout ends it).</summary>
    public long? FailAtByte { get; set; }

    /// <summary>Answers every request with this status, no body.</summary>
    public int? Status { get; set; }

    public static async Task<LocalFileServer> StartAsync()
    {
        var app = LoopbackHttp.Create();
        var server = new LocalFileServer(app);
        app.Use(async (context, next) =>
        {
            var request = context.Request.Headers;
            var entry = new[] { new ServedRequest(request.Range.FirstOrDefault(), request.IfRange.FirstOrDefault(), request.IfNoneMatch.FirstOrDefault(), 0, null) };
            context.Response.OnStarting(() =>
            {
                entry[0] = entry[0] with { Status = context.Response.StatusCode, ContentRange = context.Response.Headers.ContentRange.FirstOrDefault() };
                return Task.CompletedTask;
            });
            server._requests.Enqueue(entry);
            await next(context);
            if (!context.Response.HasStarted) entry[0] = entry[0] with { Status = context.Response.StatusCode };
        });
        app.MapGet("/{name}", server.ServeAsync);
        server.BaseAddress = await LoopbackHttp.StartAsync(app);
        return server;
    }

    public Uri Put(string name, byte[] content, string etag)
    {
        _files[name] = (content, etag);
        return new Uri(BaseAddress, name);
    }

    private async Task ServeAsync(HttpContext context, string name)
    {
        if (Status is { } status)
        {
            context.Response.StatusCode = status;
            return;
        }

        if (!_files.TryGetValue(name, out var file))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var etag = new EntityTagHeaderValue(file.ETag);
        if (FailAtByte is not { } failAt)
        {
            // ASP.NET Core's file result implements If-None-Match, Range and If-Range.
            await Results.File(file.Content, "application/octet-stream", enableRangeProcessing: true, entityTag: etag).ExecuteAsync(context);
            return;
        }

        FailAtByte = null;
        long from = 0;
        var range = context.Request.GetTypedHeaders().Range;
        if (range?.Ranges.Single().From is { } start && context.Request.Headers.IfRange == file.ETag) from = start;
        context.Response.StatusCode = from > 0 ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        context.Response.Headers.ETag = file.ETag;
        context.Response.ContentLength = file.Content.Length - from;
        if (from > 0) context.Response.Headers.ContentRange = $"bytes {from}-{file.Content.Length - 1}/{file.Content.Length}";
        await context.Response.Body.WriteAsync(file.Content.AsMemory((int)from, (int)Math.Max(0, failAt - from)));
        await context.Response.Body.FlushAsync();
        // The connection then stalls (a dead network path): the client has every byte sent so far and gives up on its idle
        // timeout. Resetting the connection instead could discard bytes still in the client's socket buffer, so where a
        // resume starts would depend on timing.
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
