using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Platforms;
using MassTransit;

namespace Jobs.Integrator.Consumers;

/// <summary>
/// The <c>jobs.start</c> endpoint: validates a start request (from the API, the Scheduler or any service
/// publishing plain JSON) and starts the root job. Invalid requests fault into <c>jobs.start_error</c>
/// with the reason in the <c>MT-Fault-Message</c> header.
/// </summary>
public sealed class StartRootJobConsumer(JobRequestValidator validator, ILogger<StartRootJobConsumer> logger)
    : IConsumer<StartRootJob>
{
    public async Task Consume(ConsumeContext<StartRootJob> context)
    {
        var request = context.Message;
        var rootJobId = request.RootJobId is { } id && id != Guid.Empty ? id : context.MessageId ?? NewId.NextGuid();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId });

        var result = await validator.ValidateAsync(request.Platform, request.Settings, request.ScheduledAt, request.MinSuccessPercent);
        if (!result.IsValid)
        {
            var problem = result.Describe();
            logger.LogWarning("Rejected start request for platform {Platform}: {Errors}", request.Platform, problem);
            throw new InvalidJobRequestException(problem);
        }

        var saga = await context.GetSendEndpoint(IntegrationQueues.RootJobsAddress);
        await saga.Send(new BeginRootJob(rootJobId, result.Platform!.Name, result.Settings, request.Schedule,
            request.MinSuccessPercent ?? 0, DateTimeOffset.UtcNow));
    }
}

public sealed class InvalidJobRequestException(string message) : Exception(message);

public sealed class StartRootJobConsumerDefinition : ConsumerDefinition<StartRootJobConsumer>
{
    public StartRootJobConsumerDefinition()
    {
        EndpointName = IntegrationQueues.StartJobs;
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<StartRootJobConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Plain JSON (content type application/json, no envelope) from non-.NET services, as well as envelopes.
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: false);
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<InvalidJobRequestException>();
            r.Ignore<System.Text.Json.JsonException>();
            r.Intervals(100, 500, 2000);
        });
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
