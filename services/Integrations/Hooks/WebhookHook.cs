using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Jobs.Platforms;
using Jobs.Plugins;
using Jobs.Plugins.Http;

namespace Jobs.Integrations.Hooks;

public sealed class WebhookSettings
{
    [Required, Description("Where the summary is POSTed (http or https); reached through the outbound policy of the 'webhook' HTTP client.")]
    public string Url { get; set; } = "";

    [Required, Secret, Description("Key of the HMAC-SHA256 signature sent in X-Jobs-Signature (masked wherever settings are shown).")]
    public string Secret { get; set; } = "";
}

/// <summary>
/// <c>webhook</c>: POSTs a signed JSON summary of the job to a URL (the body schema is in README "Hooks"). The signature is
/// <c>X-Jobs-Signature: sha256=&lt;hex HMAC-SHA256 of "&lt;X-Jobs-Timestamp&gt;.&lt;body&gt;" keyed by the secret&gt;</c>; <c>X-Jobs-Delivery</c> is the same
/// for every attempt of the hook. Sent by the polite HTTP client of integration <c>webhook</c> (<c>Integrations:Http:Integrations:webhook</c>):
/// its timeout per attempt, its retries with backoff on a 429, a 5xx, a timeout or a network error, its outbound policy. A response other than
/// 2xx after the last attempt fails the hook.
/// </summary>
public sealed class WebhookHook(PoliteHttpFactory http) : JobHook<WebhookSettings>
{
    public const string HookName = "webhook";
    public const string SignatureHeader = "X-Jobs-Signature";
    public const string TimestampHeader = "X-Jobs-Timestamp";
    public const string DeliveryHeader = "X-Jobs-Delivery";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly PoliteHttpClient _client = http.For(HookName);

    public override string Name => HookName;

    public override string Description =>
        "POSTs a JSON summary of the job (its id, platform, phase and, after the job, its status, counts and reason) to 'url', signed with " +
        "HMAC-SHA256 of '<X-Jobs-Timestamp>.<body>' keyed by 'secret' in X-Jobs-Signature (sha256=<hex>); retried with backoff on 5xx, 429 and timeouts.";

    /// <summary>
    /// The body of one delivery (snake_case on the wire); the outcome fields are null for a pre hook and for a task hook, whose run is in
    /// <see cref="Task"/> (null for the job's own hooks).
    /// </summary>
    public sealed record Payload(
        string Event, Guid DeliveryId, Guid JobId, string Platform, string? Schedule, string Phase, int HookIndex, DateTimeOffset StartedAt,
        string? Status, long? Total, long? Completed, long? Failed, string? Reason, DateTimeOffset? FinishedAt, TaskPayload? Task = null);

    /// <summary>The task run a task hook wraps; its outcome fields (succeeded, spawned, error, attempts) are null before the run.</summary>
    public sealed record TaskPayload(Guid ChildJobId, Guid ParentJobId, string Name, int Generation, bool? Succeeded, int? Spawned, string? Error, int? Attempts);

    /// <summary>The signature header's value for <paramref name="body"/> sent at <paramref name="timestamp"/> (unix seconds).</summary>
    public static string Sign(string secret, string timestamp, byte[] body)
    {
        var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    protected override async Task<HookResult> RunAsync(HookContext context, WebhookSettings settings)
    {
        if (!Uri.TryCreate(settings.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new HookFailedException($"webhook url '{settings.Url}' is not an absolute http or https URL");
        var outcome = context.Outcome;
        var task = context.Task is { } run
            ? new TaskPayload(run.ChildJobId, run.ParentJobId, run.Task, run.Generation, run.Succeeded, run.Spawned, run.Error, run.Attempts)
            : null;
        var body = JsonSerializer.SerializeToUtf8Bytes(new Payload(
            (task is null ? "job." : "task.") + (context.Phase == JobHooks.Pre ? "starting" : "finished"), context.DeliveryId, context.RootJobId,
            context.Platform, context.Schedule, context.Phase, context.Index, context.JobStartedAt, outcome?.Status, outcome?.Total, outcome?.Completed,
            outcome?.Failed, outcome?.Reason, outcome?.FinishedAt, task), Json);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(HttpMethod.Post, url, request =>
            {
                // Signed per attempt: a receiver may refuse a timestamp too old, and a retry is a fresh request.
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                request.Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } };
                request.Headers.Add(TimestampHeader, timestamp);
                request.Headers.Add(SignatureHeader, Sign(settings.Secret, timestamp, body));
                request.Headers.Add(DeliveryHeader, context.DeliveryId.ToString());
            }, context.CancellationToken);
        }
        catch (Exception ex) when (ex is HttpFetchException or OutboundRefusedException or RobotsDisallowedException)
        {
            // Their messages name the URL already (secrets masked).
            throw new HookFailedException($"webhook POST failed: {ex.Message}", ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new HookFailedException($"webhook POST {UriDisplay.Shown(url)} answered {(int)response.StatusCode} {response.ReasonPhrase} after its retries");
        }

        context.Logger.LogInformation("Webhook delivered to {Url} ({Status})", UriDisplay.Shown(url), (int)response.StatusCode);
        return HookResult.Done;
    }
}
