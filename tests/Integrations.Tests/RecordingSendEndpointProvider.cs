using System.Collections.Concurrent;
using MassTransit;

namespace Jobs.Integrations.Tests;

/// <summary>A test double of the bus's send side: records every message sent, in order, with its address.</summary>
public sealed class RecordingSendEndpointProvider : ISendEndpointProvider
{
    private readonly ConcurrentQueue<(Uri Address, object Message)> _sent = new();

    public IReadOnlyList<(Uri Address, object Message)> Sent => _sent.ToArray();

    public IReadOnlyList<T> SentOf<T>() => _sent.Select(s => s.Message).OfType<T>().ToList();

    public Task<ISendEndpoint> GetSendEndpoint(Uri address) => Task.FromResult<ISendEndpoint>(new Endpoint(address, _sent));

    public ConnectHandle ConnectSendObserver(ISendObserver observer) => throw new NotSupportedException();

    private sealed class Endpoint(Uri address, ConcurrentQueue<(Uri, object)> sent) : ISendEndpoint
    {
        public Task Send<T>(T message, CancellationToken cancellationToken = default) where T : class
        {
            sent.Enqueue((address, message));
            return Task.CompletedTask;
        }

        public ConnectHandle ConnectSendObserver(ISendObserver observer) => throw new NotSupportedException();

        public Task Send<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Send<T>(T message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Send(object message, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task Send(object message, Type messageType, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task Send(object message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task Send(object message, Type messageType, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task Send<T>(object values, CancellationToken cancellationToken = default) where T : class => throw new NotSupportedException();

        public Task Send<T>(object values, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Send<T>(object values, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();
    }
}
