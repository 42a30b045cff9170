using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using MassTransit.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog.Core;
using Serilog.Events;

namespace Jobs.ServiceDefaults;

/// <summary>
/// Section <c>Tracing</c>, and the standard OpenTelemetry variables it is checked with: where spans go is said only by
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_*</c>); unset, nothing is exported.
/// </summary>
public sealed class TracingOptions
{
    public const string Section = "Tracing";

    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>
    /// The share of children that get a span of their own (0: none, the default: a batch's span carries its child count; 1: every
    /// child). Decided by the child's id, so a child re-run is traced or not as it was the first time.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ChildSpanRatio { get; set; }

    /// <summary>The value of <see cref="EndpointVariable"/> (not bound from the section).</summary>
    public string? Endpoint { get; set; }

    /// <summary>The value of <see cref="ProtocolVariable"/> (not bound from the section).</summary>
    public string? Protocol { get; set; }

    public bool Exporting => !string.IsNullOrWhiteSpace(Endpoint);

    public IEnumerable<string> Problems()
    {
        if (Exporting && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            yield return $"{EndpointVariable}: '{Endpoint}' is not an absolute http:// or https:// URI";
        if (!string.IsNullOrWhiteSpace(Protocol) && Protocol is not ("grpc" or "http/protobuf"))
            yield return $"{ProtocolVariable}: '{Protocol}' is not one of 'grpc', 'http/protobuf' (OTLP over HTTP/JSON is not supported)";
    }

    /// <summary>
    /// Reads the standard variables (raw: they are not a section, and whether an exporter is added is decided while the services
    /// are registered, before any options exist).
    /// </summary>
    public TracingOptions WithVariablesOf(IConfiguration configuration)
    {
        Endpoint = configuration[EndpointVariable];
        Protocol = configuration[ProtocolVariable];
        return this;
    }
}

/// <summary>
/// The platform's own spans (ActivitySource <see cref="SourceName"/>) beside those of ASP.NET Core, HttpClient, Npgsql, Redis and
/// MassTransit, and the rules that keep a root job in one trace.
/// </summary>
public static class JobTracing
{
    public const string SourceName = "Jobs";

    public static readonly ActivitySource Source = new(SourceName);

    public const string RootJobId = "jobs.root_job_id";
    public const string ChildJobId = "jobs.child_job_id";
    public const string Platform = "jobs.platform";
    public const string TaskName = "jobs.task";
    public const string Children = "jobs.children";
    public const string Generation = "jobs.generation";
    public const string Failed = "jobs.failed";
    public const string Spawned = "jobs.spawned";
    public const string Schedule = "jobs.schedule";
    public const string Status = "jobs.status";

    /// <summary>The W3C <c>traceparent</c> of the current span, to keep with state that is resumed later (null outside a span).</summary>
    public static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>The trace id of a W3C <c>traceparent</c> (<c>00-{trace}-{span}-{flags}</c>), or null when it is not one.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        ActivityContext.TryParse(traceParent, null, out var context) ? context.TraceId.ToHexString() : null;

    /// <summary>
    /// Starts a span of the root job whose trace is <paramref name="rootTraceParent"/>, for work resumed outside the root's trace
    /// (a background sweep, a message from another trace, a cancellation): its parent is the root's stored span, and the current
    /// span, if any, is linked. When the current span is already in the root's trace (or the root has none) it is simply its child.
    /// </summary>
    public static Activity? StartInRootTrace(string name, string? rootTraceParent, ActivityKind kind = ActivityKind.Internal)
    {
        var current = Activity.Current;
        if (!ActivityContext.TryParse(rootTraceParent, null, out var root) || current?.TraceId == root.TraceId)
            return Source.StartActivity(name, kind);
        var links = current is null ? null : new[] { new ActivityLink(current.Context) };
        return Source.StartActivity(name, kind, root, links: links);
    }

    /// <summary>Whether the child <paramref name="childJobId"/> gets a span of its own under <paramref name="ratio"/> (by its id: stable across re-runs).</summary>
    public static bool SamplesChild(Guid childJobId, double ratio)
    {
        if (ratio <= 0) return false;
        if (ratio >= 1) return true;
        Span<byte> bytes = stackalloc byte[16];
        childJobId.TryWriteBytes(bytes);
        return BitConverter.ToUInt32(bytes[..4]) < ratio * uint.MaxValue;
    }
}

/// <summary>OpenTelemetry tracing of a service: sources, exporter (only with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), <see cref="TracingOptions"/>.</summary>
public static class Tracing
{
    /// <summary>
    /// Traces ASP.NET Core (but /health and /metrics), HttpClient, Npgsql, MassTransit (<see cref="DiagnosticHeaders.DefaultListenerName"/>),
    /// the platform's own <see cref="JobTracing.Source"/> and, while exporting, Redis. Without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// spans are created only for their ids (logs carry them, messages propagate them, the root job records its trace id): nothing
    /// is recorded or exported.
    /// </summary>
    public static WebApplicationBuilder AddTracing(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddValidatedOptions<TracingOptions>(TracingOptions.Section)
            .Configure<IConfiguration>((o, configuration) => o.WithVariablesOf(configuration))
            .ValidateProblems(o => o.Problems());
        var exporting = new TracingOptions().WithVariablesOf(builder.Configuration).Exporting;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(JobTracing.SourceName, DiagnosticHeaders.DefaultListenerName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsPlumbing(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (!exporting)
                {
                    tracing.SetSampler(new IdsOnlySampler());
                    return;
                }

                tracing.AddRedisInstrumentation(o => o.SetVerboseDatabaseStatements = false)
                    .AddProcessor(new UnparentedStoreSpans())
                    .AddOtlpExporter();
            });
        return builder;
    }

    private static bool IsPlumbing(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    /// <summary>
    /// Keeps store calls made outside any span (Quartz's cluster check-ins, the sweeper's scans: every few seconds) out of the
    /// export, where each would be a trace of one span: a database call is exported as part of the work that made it.
    /// </summary>
    private sealed class UnparentedStoreSpans : BaseProcessor<Activity>
    {
        public override void OnStart(Activity data)
        {
            if (data.ParentSpanId != default || data.Source.Name is not ("Npgsql" or "OpenTelemetry.Instrumentation.StackExchangeRedis")) return;
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            data.IsAllDataRequested = false;
        }
    }

    /// <summary>Creates every span with its ids only (propagated, in the logs) and records none.</summary>
    private sealed class IdsOnlySampler : Sampler
    {
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => Drop;
    }
}

/// <summary>
/// Adds the current span's <c>TraceId</c> and <c>SpanId</c> as properties (Seq gets them as such) and renders them into the
/// console line as <c>{TraceIds}</c> (empty outside a span).
/// </summary>
public sealed class TraceIdsEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var (trace, span) = logEvent.TraceId is { } t && logEvent.SpanId is { } s
            ? (t.ToHexString(), s.ToHexString())
            : Activity.Current is { IdFormat: ActivityIdFormat.W3C } current
                ? (current.TraceId.ToHexString(), current.SpanId.ToHexString())
                : (null, null);
        if (trace is null)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("TraceIds", ""));
            return;
        }

        logEvent.AddOrUpdateProperty(propertyFactory.CreateProperty("TraceId", trace));
        logEvent.AddOrUpdateProperty(propertyFactory.CreateProperty("SpanId", span));
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("TraceIds", $" trace={trace} span={span}"));
    }
}
