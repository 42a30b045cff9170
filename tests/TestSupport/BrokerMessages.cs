using System.Net.Http.Json;
using System.Text.Json;

namespace Jobs.TestSupport;

/// <summary>Reads and writes messages of a virtual host through the RabbitMQ management HTTP API.</summary>
public static class BrokerMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static string VirtualHostPath(Uri vhost) => vhost.AbsolutePath.TrimStart('/') is { Length: > 0 } v ? v : "%2F";

    /// <summary>Publishes <paramref name="message"/> in a MassTransit envelope to an exchange (a queue's exchange has the queue's name).</summary>
    public static async Task PublishAsync<T>(Uri vhost, string exchange, T message) where T : class
    {
        using var management = Infrastructure.Management(vhost);
        var envelope = new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { $"urn:message:{typeof(T).Namespace}:{typeof(T).Name}" },
            message,
            sentTime = DateTime.UtcNow,
        };
        var response = await management.PostAsJsonAsync($"api/exchanges/{VirtualHostPath(vhost)}/{Uri.EscapeDataString(exchange)}/publish", new
        {
            properties = new { content_type = "application/vnd.masstransit+json", delivery_mode = 2 },
            routing_key = "",
            payload = JsonSerializer.Serialize(envelope, Json),
            payload_encoding = "string",
        });
        response.EnsureSuccessStatusCode();
        var routed = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("routed").GetBoolean();
        if (!routed) throw new InvalidOperationException($"{typeof(T).Name} published to {exchange} reached no queue");
    }

    /// <summary>
    /// Declares a durable queue bound to the (fanout) exchange MassTransit publishes <typeparamref name="T"/> to, so a test can
    /// read what a service publishes without the service that normally consumes it.
    /// </summary>
    public static async Task BindQueueAsync<T>(Uri vhost, string queue) where T : class
    {
        using var management = Infrastructure.Management(vhost);
        var path = VirtualHostPath(vhost);
        var exchange = Uri.EscapeDataString($"{typeof(T).Namespace}:{typeof(T).Name}");
        (await management.PutAsJsonAsync($"api/exchanges/{path}/{exchange}", new { type = "fanout", durable = true })).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/queues/{path}/{Uri.EscapeDataString(queue)}", new { durable = true })).EnsureSuccessStatusCode();
        (await management.PostAsJsonAsync($"api/bindings/{path}/e/{exchange}/q/{Uri.EscapeDataString(queue)}", new { routing_key = "" }))
            .EnsureSuccessStatusCode();
    }

    /// <summary>Takes up to <paramref name="count"/> messages off a queue (acknowledged) and returns their envelopes' <c>message</c>.</summary>
    public static async Task<IReadOnlyList<JsonElement>> TakeAsync(Uri vhost, string queue, int count = 500) =>
        (await TakeWithReasonsAsync(vhost, queue, count)).Select(m => m.Message).ToList();

    /// <summary>Like <see cref="TakeAsync"/>, with each message's <c>MT-Fault-Message</c> header (why it is in an error queue).</summary>
    public static async Task<IReadOnlyList<(JsonElement Message, string? Reason)>> TakeWithReasonsAsync(Uri vhost, string queue, int count = 500)
    {
        using var management = Infrastructure.Management(vhost);
        var response = await management.PostAsJsonAsync($"api/queues/{VirtualHostPath(vhost)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_false", encoding = "auto" });
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return [];
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>();
        return messages.EnumerateArray()
            .Select(m => (
                JsonDocument.Parse(m.GetProperty("payload").GetString()!).RootElement.GetProperty("message").Clone(),
                m.GetProperty("properties").TryGetProperty("headers", out var headers) && headers.TryGetProperty("MT-Fault-Message", out var reason)
                    ? reason.GetString()
                    : null))
            .ToList();
    }
}
