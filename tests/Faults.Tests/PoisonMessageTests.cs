using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Faults.Tests;

/// <summary>
/// Messages no consumer can handle, put on every queue a service consumes: each is moved aside to the queue's
/// <c>_error</c> or <c>_skipped</c> queue, nothing stays stuck or redelivered, no consumer is lost, and jobs still run.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class PoisonMessageTests(FaultsFixture system)
{
    [Fact]
    public async Task Unreadable_and_unknown_messages_on_every_consumed_queue_are_moved_aside_and_the_services_go_on()
    {
        var consumers = await system.BaselineConsumersAsync();
        var consumed = consumers.Where(q => q.Value > 0 && !q.Key.EndsWith("_error", StringComparison.Ordinal) &&
                                            !q.Key.EndsWith("_skipped", StringComparison.Ordinal)).Select(q => q.Key).ToList();
        // The Integrator's start and saga queues, the integrations', the Auditor's and the Scheduler's at least.
        Assert.Contains("jobs.start", consumed);
        Assert.Contains("integration-synthetic", consumed);
        Assert.Contains("integration-synthetic.interactive", consumed);
        Assert.Contains("scheduler-commands", consumed);
        Assert.True(consumed.Count >= 5, string.Join(", ", consumed));
        var before = await MovedAsideAsync(consumed);

        foreach (var queue in consumed)
        {
            await PublishAsync(queue, "application/json", "{ this is not json");
            await PublishAsync(queue, "application/vnd.masstransit+json", JsonSerializer.Serialize(new
            {
                messageId = Guid.NewGuid(),
                messageType = new[] { "urn:message:Nobody.Knows:ThisMessage" },
                message = new { hello = "world" },
            }));
            await PublishAsync(queue, "application/octet-stream", "\u0001\u0002 binary garbage");
        }

        var moved = await Eventually.Until(() => MovedAsideAsync(consumed), now => consumed.All(q => now[q] - before[q] >= 3), TimeSpan.FromSeconds(90),
            "every poison message moved aside");
        Assert.All(consumed, q => Assert.True(moved[q] - before[q] >= 3, $"{q}: {moved[q] - before[q]} of 3 moved aside"));

        var stuck = await Eventually.Until(() => WaitingAsync(consumed), waiting => waiting.Values.All(n => n == 0), TimeSpan.FromSeconds(60),
            "the consumed queues to be empty");
        Assert.All(stuck, q => Assert.Equal(0, q.Value));
        var after = await system.ConsumersAsync();
        Assert.All(consumed, q => Assert.True(after.GetValueOrDefault(q) >= consumers[q], $"{q} lost consumers"));

        var id = await system.SubmitAsync(new { children = 20 });
        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((20L, 20L, 0L), OutageTests.Counts(job));
    }

    private async Task PublishAsync(string queue, string contentType, string payload)
    {
        using var management = Infrastructure.Management(system.VirtualHost);
        var response = await management.PostAsJsonAsync($"api/exchanges/{VirtualHost}/amq.default/publish", new
        {
            properties = new { content_type = contentType, delivery_mode = 2, message_id = Guid.NewGuid().ToString() },
            routing_key = queue,
            payload,
            payload_encoding = "string",
        });
        response.EnsureSuccessStatusCode();
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("routed").GetBoolean(), $"nothing routed to {queue}");
    }

    private string VirtualHost => system.VirtualHost.AbsolutePath.TrimStart('/');

    /// <summary>Messages in each queue's <c>_error</c> and <c>_skipped</c> queues together.</summary>
    private async Task<Dictionary<string, long>> MovedAsideAsync(IEnumerable<string> queues)
    {
        var counts = await MessagesAsync();
        return queues.ToDictionary(q => q, q => counts.GetValueOrDefault($"{q}_error") + counts.GetValueOrDefault($"{q}_skipped"));
    }

    private async Task<Dictionary<string, long>> WaitingAsync(IEnumerable<string> queues)
    {
        var counts = await MessagesAsync();
        return queues.ToDictionary(q => q, q => counts.GetValueOrDefault(q));
    }

    /// <summary>Ready and unacknowledged messages per queue (the management API's figures, refreshed every few seconds).</summary>
    private async Task<Dictionary<string, long>> MessagesAsync()
    {
        using var management = Infrastructure.Management(system.VirtualHost);
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{VirtualHost}?columns=name,messages");
        return queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!,
            q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0);
    }
}
