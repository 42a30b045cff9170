using Jobs.JobTree;
using Jobs.Contracts;
using MassTransit;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Two receive endpoints per hosted integration (its children and its jobs' hooks), bound to nothing else: <c>integration-&lt;name&gt;</c>
/// for bulk work and <c>integration-&lt;name&gt;.interactive</c> for what a root waits on step by step, each with its own slots.
/// </summary>
public static class IntegrationEndpoints
{
    public static void Configure(IBusRegistrationContext context, IReceiveConfigurator configurator)
    {
        var registry = context.GetRequiredService<IntegrationRegistry>();
        var options = context.GetRequiredService<IOptions<IntegrationsOptions>>().Value;
        var rabbitMq = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        foreach (var integration in registry.Hosted)
        {
            Endpoint(IntegrationQueues.QueueName(integration.Name), options.ConcurrentMessageLimit, options.PrefetchCount);
            Endpoint(IntegrationQueues.InteractiveQueueName(integration.Name), options.InteractiveConcurrentMessageLimit, options.InteractiveConcurrentMessageLimit);
        }

        void Endpoint(string queue, int concurrency, int prefetch) =>
            configurator.ReceiveEndpoint(queue, endpoint =>
            {
                // Only messages sent to this queue: no binding to the RunChildJobs exchange, so a publish
                // never reaches every integration.
                endpoint.ConfigureConsumeTopology = false;
                rabbitMq.Apply(endpoint);
                endpoint.ConcurrentMessageLimit = concurrency;
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PrefetchCount = prefetch;
                // Plugin failures become failed outcomes; what reaches here is the bus or Redis failing: retry,
                // since children may already be registered by a confirmed outcome.
                endpoint.UseMessageRetry(r => r.Intervals(100, 500, 1000, 5000, 15000, 30000));
                endpoint.ConfigureConsumer<RunChildJobsConsumer>(context);
                // The hooks of the platform's jobs run where its children do (Hooks.RunJobHooksConsumer).
                endpoint.ConfigureConsumer<Hooks.RunJobHooksConsumer>(context);
            });
    }
}
