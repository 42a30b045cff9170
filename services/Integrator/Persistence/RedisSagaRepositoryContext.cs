using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace Jobs.Integrator.Persistence;

public sealed class RedisSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    private readonly RedisSagaStore<TSaga> store;
    private readonly ConsumeContext<TMessage> context;
    private readonly ISagaConsumeContextFactory<RedisSagaStore<TSaga>, TSaga> factory;

    public RedisSagaRepositoryContext(RedisSagaStore<TSaga> store, ConsumeContext<TMessage> context,
        ISagaConsumeContextFactory<RedisSagaStore<TSaga>, TSaga> factory)
        : base(context)
    {
        this.store = store;
        this.context = context;
        this.factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(store, context, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        try
        {
            await store.InsertAsync(instance);
        }
        catch (ConcurrencyException)
        {
            return default!;
        }

        return await factory.CreateSagaConsumeContext(store, context, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await store.LoadAsync(correlationId);
        return instance is null
            ? default!
            : await factory.CreateSagaConsumeContext(store, context, instance, SagaConsumeContextMode.Load);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => store.InsertAsync(context.Saga);

    public Task Update(SagaConsumeContext<TSaga> context) => store.UpdateAsync(context.Saga);

    public Task Delete(SagaConsumeContext<TSaga> context) => store.DeleteAsync(context.Saga);

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(store, consumeContext, instance, mode);
}

public sealed class RedisLoadSagaRepositoryContext<TSaga>(RedisSagaStore<TSaga> store, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISagaVersion
{
    public Task<TSaga> Load(Guid correlationId) => store.LoadAsync(correlationId)!;
}
