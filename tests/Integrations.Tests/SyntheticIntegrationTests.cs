using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Plugins.Synthetic;

namespace Jobs.Integrations.Tests;

public sealed class SyntheticIntegrationTests
{
    private static readonly Guid Parent = Guid.Parse("6f0d4f59-2b7e-4c8e-a1d2-3c4b5a697887");

    [Fact]
    public void When_asked_twice_about_the_same_job_Should_decide_the_same_way()
    {
        for (var i = 0; i < 1_000; i++)
        {
            var id = JobIds.Child(Parent, i);
            Assert.Equal(SyntheticIntegration.ShouldFail(id, 0.5), SyntheticIntegration.ShouldFail(id, 0.5));
        }
    }

    [Fact]
    public void When_the_ratio_is_zero_Should_never_fail()
    {
        Assert.DoesNotContain(Ids(), id => SyntheticIntegration.ShouldFail(id, 0));
    }

    [Fact]
    public void When_the_ratio_is_one_Should_always_fail()
    {
        Assert.All(Ids(), id => Assert.True(SyntheticIntegration.ShouldFail(id, 1)));
    }

    [Theory]
    [InlineData("ffffffff-ffff-5fff-bfff-ffffffffffff")]
    [InlineData("ffffffff-0000-5000-8000-000000000000")]
    [InlineData("00000000-0000-5000-8000-000000000000")]
    public void When_the_ratio_is_one_Should_fail_even_the_extreme_ids(string id)
    {
        Assert.True(SyntheticIntegration.ShouldFail(Guid.Parse(id), 1));
        Assert.False(SyntheticIntegration.ShouldFail(Guid.Parse(id), 0));
    }

    [Fact]
    public void When_the_ratio_is_a_tenth_Should_fail_about_a_tenth_of_the_children()
    {
        var failed = Ids().Count(id => SyntheticIntegration.ShouldFail(id, 0.1));

        Assert.InRange(failed, 1_600, 2_400);
    }

    [Fact]
    public void When_the_ratio_grows_Should_fail_a_superset_of_the_children()
    {
        var ids = Ids().ToList();
        var atTenth = ids.Where(id => SyntheticIntegration.ShouldFail(id, 0.1)).ToHashSet();
        var atHalf = ids.Where(id => SyntheticIntegration.ShouldFail(id, 0.5)).ToHashSet();

        Assert.True(atTenth.IsProperSubsetOf(atHalf));
    }

    private static IEnumerable<Guid> Ids() => Enumerable.Range(0, 20_000).Select(i => JobIds.Child(Parent, i));
}
