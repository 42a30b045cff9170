using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Jobs.Integrator.Persistence;

public static class RedisSagaRepositoryRegistration
{
    /// <summary>
    /// Persist the saga in Redis (the shared <c>IConnectionMultiplexer</c>). Finished instances expire after
    /// <paramref name="expiry"/> when given.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> RedisRepository<TSaga>(
        this ISagaRegistrationConfigurator<TSaga> configurator, string keyPrefix, TimeSpan? expiry = null)
        where TSaga : class, SagaStateMachineInstance, ISagaVersion
    {
        configurator.Repository(r =>
        {
            r.TryAddSingleton(new RedisSagaOptions<TSaga>(keyPrefix, expiry));
            r.TryAddSingleton<RedisSagaStore<TSaga>>();
            r.RegisterSagaRepository<TSaga, RedisSagaStore<TSaga>, SagaConsumeContextFactory<RedisSagaStore<TSaga>, TSaga>,
                RedisSagaRepositoryContextFactory<TSaga>>();
            r.RegisterLoadSagaRepository<TSaga, RedisSagaRepositoryContextFactory<TSaga>>();
        });
        return configurator;
    }
}
