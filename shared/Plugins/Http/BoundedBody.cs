using System.Globalization;

namespace Jobs.Plugins.Http;

/// <summary>More bytes than the limit arrived (or were announced); the message names what, the limit and the setting.</summary>
/// <remarks>Not an <see cref="IOException"/>: no caller may take it for an interrupted read and try again.</remarks>
public sealed class ResponseTooLargeException(string message) : Exception(message);

/// <summary>A read-only stream that throws <see cref="ResponseTooLargeException"/> as soon as more than its limit has been read through it.</summary>
public sealed class CappedStream(Stream inner, long limit, Func<long, string> describe) : Stream
{
    private long _read;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => _read;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        _read += read;
        return _read > limit ? throw new ResponseTooLargeException(describe(_read)) : read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>A byte count for messages: <c>10,485,760 bytes</c>.</summary>
    public static string Bytes(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes";
}

/// <summary>Reads a response body into memory under a limit: refused from its Content-Length when that says too much, else while it is read.</summary>
public static class BoundedBody
{
    /// <summary>The body of <paramref name="content"/> (disposed) as a buffered copy with its headers; over <paramref name="limit"/>, <see cref="ResponseTooLargeException"/>.</summary>
    public static async Task<HttpContent> BufferAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        using (content)
        {
            string Over(string what) =>
                $"the response is {what}, over the limit of {CappedStream.Bytes(limit)} (MaxResponseBytes under Integrations:Http)";
            if (content.Headers.ContentLength is { } announced && announced > limit)
                throw new ResponseTooLargeException(Over($"{CappedStream.Bytes(announced)} long (Content-Length)"));

            await using var body = new CappedStream(await content.ReadAsStreamAsync(cancellationToken), Math.Min(limit, Array.MaxLength),
                read => Over($"at least {CappedStream.Bytes(read)} long (read so far)"));
            var buffer = new MemoryStream(content.Headers.ContentLength is { } length ? (int)length : 16 * 1024);
            await body.CopyToAsync(buffer, 64 * 1024, cancellationToken);
            var copy = new ByteArrayContent(buffer.GetBuffer(), 0, (int)buffer.Length);
            foreach (var header in content.Headers.Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            return copy;
        }
    }
}
