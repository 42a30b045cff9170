using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>
/// A non-.NET client starts jobs by publishing plain JSON to the <c>jobs.start</c> exchange; here through the
/// RabbitMQ management HTTP API, exactly as the README's curl does.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RawJsonStartTests(SystemFixture system)
{
    private Task<bool> PublishAsync(string payload, string? messageId = null) => system.PublishStartAsync(payload, messageId);

    [Fact]
    public async Task Plain_json_published_to_jobs_start_starts_a_root_job_like_POST_jobs()
    {
        var id = Guid.NewGuid();
        Assert.True(await PublishAsync("""{"platform":"synthetic","settings":{"children":3}}""", id.ToString()));

        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("children").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Malformed_and_unknown_platform_messages_end_in_the_error_queue_with_the_reason()
    {
        Assert.True(await PublishAsync("{not json"));
        Assert.True(await PublishAsync("""{"platform":"no-such-platform","settings":{}}"""));
        Assert.True(await PublishAsync("""{"platform":"synthetic","settings":{"children":"many"}}"""));

        using var management = Infrastructure.Management(system.VirtualHost);
        var vhost = system.VirtualHost.AbsolutePath.TrimStart('/');
        var faults = await Eventually.Until(async () =>
            {
                var response = await management.PostAsJsonAsync($"api/queues/{vhost}/jobs.start_error/get",
                    new { count = 50, ackmode = "ack_requeue_true", encoding = "auto" });
                if (!response.IsSuccessStatusCode) return [];
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
                    .Select(m => m.GetProperty("properties").GetProperty("headers").GetProperty("MT-Fault-Message").GetString() ?? "")
                    .ToList();
            },
            list => list.Count >= 3, TimeSpan.FromSeconds(30), "three faulted start requests in jobs.start_error");

        Assert.Contains(faults, f => f.Contains("invalid start of a property name", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(faults, f => f.Contains("unknown platform 'no-such-platform'"));
        Assert.Contains(faults, f => f.Contains("settings.children: must be a whole number"));
        Assert.True(system["Integrator"].IsRunning);
    }
}
