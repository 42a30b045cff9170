using System.Diagnostics;
using Jobs.Plugins.Http;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Jobs.Integrations.Tests.Http;

/// <summary>The polite client's spans, recorded by a real OpenTelemetry tracer provider (the sources the services trace).</summary>
public sealed class PoliteHttpTracingTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private readonly string _prefix = $"test-http-trace-{Guid.NewGuid():N}:";
    private readonly List<Activity> _ended = [];
    private TestShop _server = null!;
    private TracerProvider _tracing = null!;

    public async Task InitializeAsync()
    {
        _server = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(JobTracing.SourceName)
            .AddHttpClientInstrumentation()
            .AddProcessor(new Collect(_ended))
            .Build()!;
    }

    public async Task DisposeAsync()
    {
        _tracing.Dispose();
        await _server.DisposeAsync();
        await RedisKeys.DeleteByPrefixAsync(host.Redis, _prefix);
    }

    [Fact]
    public async Task Each_attempt_is_one_span_with_host_status_retry_number_and_rate_limit_wait()
    {
        _server.Throttle("/ping");
        var options = new PoliteHttpOptions
        {
            KeyPrefix = _prefix, UserAgent = "TracingTests/1.0", RequestsPerSecond = 50, Burst = 1, MaxAttempts = 3,
            BackoffBase = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(10), ObeyRobots = false,
        };
        options.AllowingLoopback();
        var client = new PoliteHttpClient(host.Redis, options, $"test-{Guid.NewGuid():N}");

        await client.GetPageAsync(new Uri(_server.BaseAddress, "/ping"), CancellationToken.None);

        var port = _server.BaseAddress.Port;
        List<Activity> spans;
        lock (_ended) spans = _ended.Where(a => a.GetTagItem("url.full") is string url && url.Contains($":{port}/ping", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, spans.Count);
        Assert.All(spans, s => Assert.Equal((JobTracing.SourceName, "HTTP GET", ActivityKind.Client, "127.0.0.1", (object)port),
            (s.Source.Name, s.DisplayName, s.Kind, s.GetTagItem("server.address") as string, s.GetTagItem("server.port"))));
        Assert.Equal([(0, 429), (1, 200)], spans.OrderBy(s => s.StartTimeUtc)
            .Select(s => ((int)s.GetTagItem("http.request.resend_count")!, (int)s.GetTagItem("http.response.status_code")!)));
        Assert.All(spans, s => Assert.IsType<double>(s.GetTagItem(HttpAttemptSpan.RateLimitWaitMs)));
        // HttpClient's own instrumentation adds no second span under an attempt.
        var attemptIds = spans.Select(s => s.SpanId).ToHashSet();
        lock (_ended) Assert.DoesNotContain(_ended, a => attemptIds.Contains(a.ParentSpanId));
    }

    private sealed class Collect(List<Activity> ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            lock (ended) ended.Add(data);
        }
    }
}
