using Jobs.JobTree;
using Jobs.Contracts;

namespace Jobs.Integrations.Tests;

public sealed class JobIdsTests
{
    private static readonly Guid Parent = Guid.Parse("0b9a3c55-8f1e-4d2a-9c3b-1e2f3a4b5c6d");

    [Fact]
    public void When_deriving_the_same_child_twice_Should_return_the_same_id()
    {
        Assert.Equal(JobIds.Child(Parent, 7), JobIds.Child(Parent, 7));
        Assert.Equal(JobIds.Entry(Parent), JobIds.Entry(Parent));
        Assert.Equal(JobIds.Continuation(Parent), JobIds.Continuation(Parent));
    }

    [Fact]
    public void When_the_index_differs_Should_return_distinct_ids()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => JobIds.Child(Parent, i)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(Parent, ids);
    }

    [Fact]
    public void When_the_parent_differs_Should_return_distinct_ids()
    {
        var other = Guid.Parse("0b9a3c55-8f1e-4d2a-9c3b-1e2f3a4b5c6e");

        Assert.NotEqual(JobIds.Child(Parent, 0), JobIds.Child(other, 0));
        Assert.NotEqual(JobIds.Entry(Parent), JobIds.Entry(other));
        Assert.NotEqual(JobIds.Continuation(Parent), JobIds.Continuation(other));
    }

    [Fact]
    public void When_deriving_entry_and_continuation_Should_differ_from_each_other_and_from_the_first_child()
    {
        var ids = new[] { JobIds.Entry(Parent), JobIds.Continuation(Parent), JobIds.Child(Parent, 0), Parent };

        Assert.Equal(4, ids.Distinct().Count());
    }

    [Fact]
    public void When_the_index_is_negative_Should_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobIds.Child(Parent, -1));
    }

    [Fact]
    public void When_deriving_any_id_Should_be_an_rfc_9562_version_5_uuid()
    {
        var ids = new[]
        {
            JobIds.Entry(Parent), JobIds.Continuation(Parent), JobIds.Child(Parent, 0), JobIds.Child(Parent, 99_999),
            JobIds.ForSchedule("nightly", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        };

        Assert.All(ids, id =>
        {
            Assert.Equal(5, id.Version);
            Assert.Equal('5', id.ToString("D")[14]);
            Assert.Contains(id.ToString("D")[19], "89ab");
        });
    }

    [Fact]
    public void When_a_schedule_fires_Should_derive_one_id_per_name_and_fire_time()
    {
        var fire = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(JobIds.ForSchedule("nightly", fire), JobIds.ForSchedule("nightly", fire));
        Assert.Equal(JobIds.ForSchedule("nightly", fire), JobIds.ForSchedule("nightly", fire.ToOffset(TimeSpan.FromHours(2))));
        Assert.NotEqual(JobIds.ForSchedule("nightly", fire), JobIds.ForSchedule("hourly", fire));
        Assert.NotEqual(JobIds.ForSchedule("nightly", fire), JobIds.ForSchedule("nightly", fire.AddMinutes(5)));
        Assert.NotEqual(JobIds.ForSchedule("nightly", fire), JobIds.ForSchedule("nightly", fire.AddTicks(1)));
    }
}
