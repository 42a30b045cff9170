using Jobs.JobTree;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Prometheus;
using Serilog;
using Serilog.Events;
using StackExchange.Redis;

namespace Jobs.ServiceDefaults;

/// <summary>Cross-cutting hosting shared by the five services: logging, metrics, health, bus, Redis, PostgreSQL.</summary>
public static class Extensions
{
    public const string ReadyTag = "ready";

    private const string ConsoleTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {ServiceName} {SourceContext}{JobIds}{TraceIds}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Serilog (console, and Seq when <c>Seq:ServerUrl</c> is set), health checks, tracing (<see cref="Tracing"/>), the connection and Seq options.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        var configuration = builder.Configuration;
        builder.Services.AddConnectionOptions();
        builder.Services.AddValidatedOptions<SeqOptions>(SeqOptions.Section).ValidateProblems(o => o.Problems());
        builder.Services.AddSerilog((services, logger) =>
        {
            var seq = services.GetRequiredService<IOptions<SeqOptions>>().Value;
            logger.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
                .ReadFrom.Configuration(configuration)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("ServiceName", serviceName)
                .Enrich.With<JobIdsEnricher>()
                .Enrich.With<TraceIdsEnricher>()
                .WriteTo.Console(outputTemplate: ConsoleTemplate);
            if (seq.Enabled) logger.WriteTo.Seq(seq.ServerUrl!, apiKey: seq.ApiKey);
        });

        builder.Services.AddHealthChecks();
        builder.AddTracing(serviceName);
        return builder;
    }

    /// <summary>
    /// MassTransit on RabbitMQ: kebab-case endpoints from definitions, telemetry off, start awaited, and the
    /// <see cref="ConsumerWatchdog"/> that restarts an endpoint left without its consumer after a broker outage, and the
    /// <see cref="SendWatchdog"/> that exits (for its supervisor to start it again) when the send side stays wedged.
    /// </summary>
    public static WebApplicationBuilder AddBus(
        this WebApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> register,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        builder.Services.AddConnectionOptions();
        builder.Services.AddValidatedOptions<RabbitMqOptions>(RabbitMqOptions.Section);
        builder.Services.AddValidatedOptions<RedisReplicationOptions>(RedisReplicationOptions.Section);
        builder.Services.AddSingleton<RedisReplicaWaiter>();
        BusMetrics.Start();
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConfigureEndpointsCallback((context, _, endpoint) => context.GetRequiredService<IOptions<RabbitMqOptions>>().Value.Apply(endpoint));
            register(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                // Before anything is sent: where sends go depends on the queue type (see IntegrationQueues.SendThroughExchanges).
                IntegrationQueues.SendThroughExchanges = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value.QueueType == RabbitMqQueueType.Quorum;
                cfg.ConfigureRabbitMqHost(context.GetRequiredService<IOptions<ConnectionOptions>>().Value);
                // Where the service keeps state in Redis and replicas are to be waited for: before each message is acknowledged.
                if (context.GetService<IConnectionMultiplexer>() is not null &&
                    context.GetRequiredService<IOptions<RedisReplicationOptions>>().Value.WaitForReplicas > 0)
                    cfg.UseConsumeFilter(typeof(RedisReplicaWait<>), context);
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddValidatedOptions<ConsumerWatchdogOptions>(ConsumerWatchdogOptions.Section);
        builder.Services.AddSingleton<ConsumerWatchdog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConsumerWatchdog>());
        builder.Services.AddReceiveEndpointObserver(services => services.GetRequiredService<ConsumerWatchdog>());
        builder.Services.AddBusObserver<WellKnownQueues>();
        builder.Services.AddValidatedOptions<SendWatchdogOptions>(SendWatchdogOptions.Section);
        builder.Services.AddSingleton<SendWatchdog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SendWatchdog>());
        builder.Services.AddSendObserver(services => services.GetRequiredService<SendWatchdog>());
        builder.Services.AddPublishObserver(services => services.GetRequiredService<SendWatchdog>());
        builder.Services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    /// <summary>The broker of <c>RABBITMQ_URL</c>: its credentials and virtual host, and every node it names as a cluster (any live one is used).</summary>
    public static void ConfigureRabbitMqHost(this IRabbitMqBusFactoryConfigurator cfg, ConnectionOptions connections)
    {
        var uri = connections.RabbitMqUri;
        var nodes = connections.RabbitMqNodes;
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (vhost.Length == 0) vhost = "/";
        var user = uri.UserInfo.Split(':', 2);
        cfg.Host(uri.Host, (ushort)nodes[0].Port, vhost, h =>
        {
            h.Username(user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : "guest");
            h.Password(user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "guest");
            h.PublisherConfirmation = true;
            if (nodes.Count > 1)
                h.UseCluster(cluster =>
                {
                    foreach (var node in nodes) cluster.Node($"{node.Host}:{node.Port}");
                });
        });
    }

    /// <summary>One shared Redis connection (<c>REDIS_URL</c>), checked by /health/ready.</summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        builder.Services.AddConnectionOptions();
        builder.Services.AddSingleton<IConnectionMultiplexer>(services =>
            ConnectionMultiplexer.Connect(services.GetRequiredService<IOptions<ConnectionOptions>>().Value.RedisOptions));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// An <see cref="NpgsqlDataSource"/>, checked by /health/ready: for <c>POSTGRES_URL</c>, or, given an <paramref name="owner"/>, for that
    /// owner's own role (<see cref="ConnectionOptions.PostgresConnectionStringFor"/>).
    /// </summary>
    public static WebApplicationBuilder AddPostgres(this WebApplicationBuilder builder, string? owner = null)
    {
        builder.Services.AddConnectionOptions();
        builder.Services.AddSingleton(services =>
        {
            var connections = services.GetRequiredService<IOptions<ConnectionOptions>>().Value;
            return NpgsqlDataSource.Create(owner is null ? connections.PostgresConnectionString : connections.PostgresConnectionStringFor(owner));
        });
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>/health/live, /health/ready (RabbitMQ, Redis, PostgreSQL where used) and /metrics.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseHttpMetrics();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteHealthReport,
        });
        app.MapMetrics("/metrics");
        return app;
    }

    private static Task WriteHealthReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), error = e.Value.Exception?.Message ?? e.Value.Description }),
        };
        return context.Response.WriteAsJsonAsync(body);
    }
}
