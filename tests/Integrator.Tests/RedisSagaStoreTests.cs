using Jobs.Integrator.Persistence;
using Jobs.Integrator.RootJobs;
using MassTransit;

namespace Jobs.Integrator.Tests;

public sealed class RedisSagaStoreTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly RedisSagaStore<RootJobState> _store = new(fixture.Redis, new RedisSagaOptions<RootJobState>("test:saga:", TimeSpan.FromMinutes(10)));

    private static RootJobState NewInstance() => new()
    {
        CorrelationId = Guid.NewGuid(),
        CurrentState = "Running",
        Platform = "synthetic",
        Settings = System.Text.Json.JsonSerializer.SerializeToElement(new { children = 1 }),
    };

    [Fact]
    public async Task When_an_instance_is_inserted_twice_Should_reject_the_second_with_a_concurrency_exception()
    {
        var instance = NewInstance();
        await _store.InsertAsync(instance);

        var copy = NewInstance();
        copy.CorrelationId = instance.CorrelationId;
        await Assert.ThrowsAsync<ConcurrencyException>(() => _store.InsertAsync(copy));

        var loaded = await _store.LoadAsync(instance.CorrelationId);
        Assert.Equal((1, "synthetic"), (loaded!.Version, loaded.Platform));
    }

    [Fact]
    public async Task When_two_writers_update_the_same_version_Should_let_only_the_first_win()
    {
        var instance = NewInstance();
        await _store.InsertAsync(instance);
        var first = (await _store.LoadAsync(instance.CorrelationId))!;
        var second = (await _store.LoadAsync(instance.CorrelationId))!;

        first.Completed = 10;
        await _store.UpdateAsync(first);
        second.Completed = 20;
        await Assert.ThrowsAsync<ConcurrencyException>(() => _store.UpdateAsync(second));

        var loaded = await _store.LoadAsync(instance.CorrelationId);
        Assert.Equal((2, 10L), (loaded!.Version, loaded.Completed));
    }

    [Fact]
    public async Task When_many_writers_race_with_retries_Should_apply_every_increment_exactly_once()
    {
        var instance = NewInstance();
        await _store.InsertAsync(instance);

        await Parallel.ForEachAsync(Enumerable.Range(0, 50), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            while (true)
            {
                var current = (await _store.LoadAsync(instance.CorrelationId))!;
                current.Completed++;
                try
                {
                    await _store.UpdateAsync(current);
                    return;
                }
                catch (ConcurrencyException)
                {
                }
            }
        });

        var loaded = await _store.LoadAsync(instance.CorrelationId);
        Assert.Equal((51, 50L), (loaded!.Version, loaded.Completed));
    }

    [Fact]
    public async Task When_a_stale_instance_is_deleted_Should_refuse_and_keep_the_newer_one()
    {
        var instance = NewInstance();
        await _store.InsertAsync(instance);
        var stale = (await _store.LoadAsync(instance.CorrelationId))!;
        var fresh = (await _store.LoadAsync(instance.CorrelationId))!;
        await _store.UpdateAsync(fresh);

        await Assert.ThrowsAsync<ConcurrencyException>(() => _store.DeleteAsync(stale));
        await _store.DeleteAsync(fresh);
        Assert.Null(await _store.LoadAsync(instance.CorrelationId));
    }
}
