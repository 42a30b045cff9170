using System.Collections.Concurrent;
using MassTransit;

namespace Jobs.Auditor.Tests;

/// <summary>
/// Counts every consumption of a message type by the bus, including a redelivery with the same message id
/// (which the harness's consumed list, keyed by message id, shows only once).
/// </summary>
public sealed class ConsumptionCounter<T>(Func<T, Guid> key) : IConsumeMessageObserver<T> where T : class
{
    private readonly ConcurrentDictionary<Guid, int> _completed = new();
    private readonly ConcurrentQueue<Exception> _faults = new();

    public int Completed(Guid id) => _completed.GetValueOrDefault(id);

    public IReadOnlyCollection<Exception> Faults => _faults;

    public Task PreConsume(ConsumeContext<T> context) => Task.CompletedTask;

    public Task PostConsume(ConsumeContext<T> context)
    {
        _completed.AddOrUpdate(key(context.Message), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task ConsumeFault(ConsumeContext<T> context, Exception exception)
    {
        _faults.Enqueue(exception);
        return Task.CompletedTask;
    }
}
