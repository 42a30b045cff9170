using Jobs.JobTree;
using Jobs.Contracts;
using MassTransit;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Hosting;

/// <summary>One receive endpoint <c>integration-&lt;name&gt;</c> per hosted integration (its children and its jobs' hooks), bound to nothing else.</summary>
public static class IntegrationEndpoints
{
    public static void Configure(IBusRegistrationContext context, IReceiveConfigurator configurator)
    {
        var registry = context.GetRequiredService<IntegrationRegistry>();
        var options = context.GetRequiredService<IOptions<IntegrationsOptions>>().Value;
        var rabbitMq = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        foreach (var integration in registry.Hosted)
        {
            configurator.ReceiveEndpoint(IntegrationQueues.QueueName(integration.Name), endpoint =>
            {
                // Only messages sent to this queue: no binding to the RunChildJobs exchange, so a publish
                // never reaches every integration.
                endpoint.ConfigureConsumeTopology = false;
                rabbitMq.Apply(endpoint);
                endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PrefetchCount = options.PrefetchCount;
                // Plugin failures become failed outcomes; what reaches here is the bus or Redis failing: retry,
                // since children may already be registered by a confirmed outcome.
                endpoint.UseMessageRetry(r => r.Intervals(100, 500, 1000, 5000, 15000, 30000));
                endpoint.ConfigureConsumer<RunChildJobsConsumer>(context);
                // The hooks of the platform's jobs run where its children do (Hooks.RunJobHooksConsumer).
                endpoint.ConfigureConsumer<Hooks.RunJobHooksConsumer>(context);
            });
        }
    }
}
