using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Jobs.TestSupport;

/// <summary>A span as an OTLP exporter sent it: the resource's <c>service.name</c>, ids in hex (parent null for a root), name and attributes.</summary>
public sealed record ReceivedSpan(
    string Service,
    string Scope,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    int Kind,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    /// <summary>When the span started and ended, in nanoseconds since the Unix epoch (the exporting host's clock).</summary>
    public long StartUnixNano { get; init; }

    public long EndUnixNano { get; init; }

    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

    public override string ToString() => $"{Service}: {Name} {SpanId} <- {ParentSpanId ?? "(root)"}";
}

/// <summary>
/// An OTLP/HTTP trace receiver on loopback (<c>POST /v1/traces</c>, protobuf, gzip or not), for tests and the benchmark: the
/// services export to it as to any collector (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> = <see cref="Endpoint"/>,
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>). The protobuf is read by a minimal wire-format reader
/// (<see cref="OtlpTraces.Decode"/>): no generated code, no protobuf package.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private long _requests;
    private long _bytes;

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base address to give as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporter appends <c>/v1/traces</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Whether to keep the decoded spans (false: count requests and bytes only, as the benchmark does).</summary>
    public bool Keep { get; init; } = true;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    /// <summary>Why requests were refused (a body that is not an OTLP trace request).</summary>
    public IReadOnlyList<string> Errors => _errors.ToArray();

    public string Describe() => $"{Requests} export requests, {Bytes} bytes, {_spans.Count} spans, {_errors.Count} refused ({string.Join("; ", Errors.Take(3))})";

    /// <summary>The environment that makes a service export its spans here.</summary>
    public IReadOnlyDictionary<string, string> Environment(TimeSpan? exportDelay = null) => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = ((int)(exportDelay ?? TimeSpan.FromMilliseconds(500)).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
    };

    public static async Task<OtlpReceiver> StartAsync(bool keep = true)
    {
        var app = LoopbackHttp.Create();
        var receiver = new OtlpReceiver(app) { Keep = keep };
        app.MapPost("/v1/traces", (Func<HttpContext, Task<IResult>>)receiver.ReceiveAsync);
        receiver.Endpoint = await LoopbackHttp.StartAsync(app);
        return receiver;
    }

    public IReadOnlyList<ReceivedSpan> Trace(string traceId) => Spans.Where(s => s.TraceId == traceId).ToList();

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        var input = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
            : context.Request.Body;
        await input.CopyToAsync(body);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, body.Length);
        if (!context.Request.ContentType?.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) ?? true)
            return Results.Text("only application/x-protobuf is accepted", statusCode: StatusCodes.Status415UnsupportedMediaType);
        if (Keep)
        {
            List<ReceivedSpan> spans;
            try
            {
                spans = OtlpTraces.Decode(body.ToArray());
            }
            catch (FormatException e)
            {
                _errors.Enqueue(e.Message);
                return Results.Text($"not an ExportTraceServiceRequest: {e.Message}", statusCode: StatusCodes.Status400BadRequest);
            }

            foreach (var span in spans) _spans.Enqueue(span);
        }
        // An empty ExportTraceServiceResponse.
        return Results.Bytes([], "application/x-protobuf");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>
/// Reads an OTLP <c>ExportTraceServiceRequest</c> (opentelemetry/proto/collector/trace/v1) with the protobuf wire format alone:
/// resource_spans(1) → resource(1).attributes(1), scope_spans(2) → scope(1).name(1), spans(2) → trace_id(1), span_id(2),
/// parent_span_id(4), name(5), kind(6), attributes(9), links(13). Fields it does not need are skipped by their wire type.
/// </summary>
public static class OtlpTraces
{
    public static List<ReceivedSpan> Decode(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        var reader = new WireReader(request);
        while (reader.Next(out var field, out var type))
        {
            if (field == 1 && type == WireReader.TypeBytes) ResourceSpans(reader.Bytes(), spans);
            else reader.Skip(type);
        }

        return spans;
    }

    private static void ResourceSpans(ReadOnlySpan<byte> message, List<ReceivedSpan> spans)
    {
        var service = "";
        var scopes = new List<byte[]>();
        var reader = new WireReader(message);
        while (reader.Next(out var field, out var type))
        {
            if (field == 1 && type == WireReader.TypeBytes)
            {
                var resource = new WireReader(reader.Bytes());
                while (resource.Next(out var f, out var t))
                {
                    if (f != 1 || t != WireReader.TypeBytes) resource.Skip(t);
                    else if (KeyValue(resource.Bytes()) is ("service.name", var name)) service = Convert.ToString(name, CultureInfo.InvariantCulture) ?? "";
                }
            }
            else if (field == 2 && type == WireReader.TypeBytes) scopes.Add(reader.Bytes().ToArray());
            else reader.Skip(type);
        }

        foreach (var scope in scopes) ScopeSpans(scope, service, spans);
    }

    private static void ScopeSpans(ReadOnlySpan<byte> message, string service, List<ReceivedSpan> spans)
    {
        var scope = "";
        var raw = new List<byte[]>();
        var reader = new WireReader(message);
        while (reader.Next(out var field, out var type))
        {
            if (field == 1 && type == WireReader.TypeBytes)
            {
                var s = new WireReader(reader.Bytes());
                while (s.Next(out var f, out var t))
                {
                    if (f == 1 && t == WireReader.TypeBytes) scope = s.String();
                    else s.Skip(t);
                }
            }
            else if (field == 2 && type == WireReader.TypeBytes) raw.Add(reader.Bytes().ToArray());
            else reader.Skip(type);
        }

        foreach (var span in raw) spans.Add(Span(span, service, scope));
    }

    private static ReceivedSpan Span(ReadOnlySpan<byte> message, string service, string scope)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        var kind = 0;
        long start = 0, end = 0;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        var links = new List<(string, string)>();
        var reader = new WireReader(message);
        while (reader.Next(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, WireReader.TypeBytes): traceId = Convert.ToHexStringLower(reader.Bytes()); break;
                case (2, WireReader.TypeBytes): spanId = Convert.ToHexStringLower(reader.Bytes()); break;
                case (4, WireReader.TypeBytes):
                    var p = reader.Bytes();
                    parent = p.Length == 0 ? null : Convert.ToHexStringLower(p);
                    break;
                case (5, WireReader.TypeBytes): name = reader.String(); break;
                case (6, WireReader.TypeVarint): kind = (int)reader.Varint(); break;
                case (7, WireReader.TypeFixed64): start = (long)reader.Fixed64(); break;
                case (8, WireReader.TypeFixed64): end = (long)reader.Fixed64(); break;
                case (9, WireReader.TypeBytes):
                    var (key, value) = KeyValue(reader.Bytes());
                    attributes[key] = value;
                    break;
                case (13, WireReader.TypeBytes):
                    var link = new WireReader(reader.Bytes());
                    string linkTrace = "", linkSpan = "";
                    while (link.Next(out var f, out var t))
                    {
                        if (f == 1 && t == WireReader.TypeBytes) linkTrace = Convert.ToHexStringLower(link.Bytes());
                        else if (f == 2 && t == WireReader.TypeBytes) linkSpan = Convert.ToHexStringLower(link.Bytes());
                        else link.Skip(t);
                    }

                    links.Add((linkTrace, linkSpan));
                    break;
                default: reader.Skip(type); break;
            }
        }

        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, attributes, links) { StartUnixNano = start, EndUnixNano = end };
    }

    /// <summary>A KeyValue: key(1), value(2) = AnyValue { string(1), bool(2), int(3), double(4), bytes(7) } (arrays and maps as null).</summary>
    private static (string Key, object? Value) KeyValue(ReadOnlySpan<byte> message)
    {
        var key = "";
        object? value = null;
        var reader = new WireReader(message);
        while (reader.Next(out var field, out var type))
        {
            if (field == 1 && type == WireReader.TypeBytes) key = reader.String();
            else if (field == 2 && type == WireReader.TypeBytes)
            {
                var any = new WireReader(reader.Bytes());
                while (any.Next(out var f, out var t))
                {
                    value = (f, t) switch
                    {
                        (1, WireReader.TypeBytes) => any.String(),
                        (2, WireReader.TypeVarint) => any.Varint() != 0,
                        (3, WireReader.TypeVarint) => (long)any.Varint(),
                        (4, WireReader.TypeFixed64) => BitConverter.Int64BitsToDouble((long)any.Fixed64()),
                        (7, WireReader.TypeBytes) => any.Bytes().ToArray(),
                        _ => SkipAndNull(ref any, t),
                    };
                }
            }
            else reader.Skip(type);
        }

        return (key, value);
    }

    private static object? SkipAndNull(ref WireReader reader, int type)
    {
        reader.Skip(type);
        return null;
    }

    /// <summary>The protobuf wire format: tags (field number, wire type), varints, fixed 32/64-bit values, length-delimited bytes.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        public const int TypeVarint = 0;
        public const int TypeFixed64 = 1;
        public const int TypeBytes = 2;
        public const int TypeFixed32 = 5;

        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out int type)
        {
            if (_position >= _data.Length)
            {
                (field, type) = (0, 0);
                return false;
            }

            var tag = Varint();
            (field, type) = ((int)(tag >> 3), (int)(tag & 7));
            if (field == 0) throw new FormatException($"invalid protobuf tag 0 at byte {_position}");
            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length) throw new FormatException("protobuf varint runs past the end of the message");
                var b = _data[_position++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }

            throw new FormatException("protobuf varint longer than 10 bytes");
        }

        public ulong Fixed64()
        {
            var value = BitConverter.ToUInt64(Take(8));
            return value;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)(_data.Length - _position)) throw new FormatException($"protobuf field of {length} bytes runs past the end of the message");
            return Take((int)length);
        }

        public string String() => System.Text.Encoding.UTF8.GetString(Bytes());

        public void Skip(int type)
        {
            switch (type)
            {
                case TypeVarint: Varint(); break;
                case TypeFixed64: Take(8); break;
                case TypeBytes: Bytes(); break;
                case TypeFixed32: Take(4); break;
                default: throw new FormatException($"unsupported protobuf wire type {type} at byte {_position}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_position + count > _data.Length) throw new FormatException("protobuf value runs past the end of the message");
            var slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
