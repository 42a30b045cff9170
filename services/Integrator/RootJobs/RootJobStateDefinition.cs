using Jobs.JobTree;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

public sealed class RootJobStateDefinition : SagaDefinition<RootJobState>
{
    public RootJobStateDefinition()
    {
        EndpointName = IntegrationQueues.RootJobs;
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<RootJobState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Version conflicts between instances and "not found yet" are retried; the outbox holds the
        // sends and publishes until the instance is stored, so a retry never fans out twice.
        endpointConfigurator.UseMessageRetry(r => r.Exponential(20, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50)));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
