using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

/// <summary>Every service's tracing settings are checked when it starts: a bad value stops it, naming the setting.</summary>
public sealed class TracingOptionsTests
{
    [Theory]
    [InlineData("Tracing:ChildSpanRatio", "1.5", "ChildSpanRatio")]
    [InlineData("Tracing:ChildSpanRatio", "-0.1", "ChildSpanRatio")]
    [InlineData(TracingOptions.EndpointVariable, "seq:5341", "OTEL_EXPORTER_OTLP_ENDPOINT: 'seq:5341' is not an absolute http:// or https:// URI")]
    [InlineData(TracingOptions.EndpointVariable, "/ingest/otlp", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData(TracingOptions.ProtocolVariable, "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' is not one of 'grpc', 'http/protobuf'")]
    public async Task A_bad_tracing_setting_fails_the_start_with_a_message_naming_it(string key, string value, string named)
    {
        await using var app = Compose(new Dictionary<string, string?> { [key] = value });

        var messages = OptionsFailures.OfStartupValidation(app.Services);

        Assert.Contains(named, messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_settings_tracing_exports_nothing_and_makes_no_child_spans()
    {
        await using var app = Compose(new Dictionary<string, string?> { [TracingOptions.EndpointVariable] = "" });

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        var options = app.Services.GetRequiredService<IOptions<TracingOptions>>().Value;
        Assert.Equal((false, 0.0), (options.Exporting, options.ChildSpanRatio));
        Assert.False(JobTracing.SamplesChild(Guid.NewGuid(), options.ChildSpanRatio));
    }

    [Fact]
    public void A_child_span_ratio_samples_about_that_share_of_children_and_the_same_child_every_time()
    {
        var children = Enumerable.Range(0, 10_000).Select(_ => Guid.NewGuid()).ToList();

        var sampled = children.Count(c => JobTracing.SamplesChild(c, 0.1));

        Assert.InRange(sampled, 800, 1200);
        Assert.All(children.Take(100), c => Assert.Equal(JobTracing.SamplesChild(c, 0.1), JobTracing.SamplesChild(c, 0.1)));
        Assert.All(children, c => Assert.True(JobTracing.SamplesChild(c, 1)));
    }

    private static WebApplication Compose(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("test");
        return builder.Build();
    }
}
