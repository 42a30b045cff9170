using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Jobs.Reporting.Security;

/// <summary>
/// A token bucket per API key (per client address for calls without a key): <c>Security:RateLimit:PermitsPerSecond</c>
/// sustained, <c>Security:RateLimit:Burst</c> at once; beyond that 429 problem details with Retry-After.
/// </summary>
public static class RateLimits
{
    public static void Configure(RateLimiterOptions options, RateLimitOptions limit)
    {
        var (perSecond, burst) = (limit.PermitsPerSecond, limit.Burst);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            var partition = context.User.FindFirstValue("key_id") is { } keyId
                ? "key:" + keyId
                : "ip:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        options.OnRejected = async (context, cancellationToken) =>
        {
            var response = context.HttpContext.Response;
            response.StatusCode = StatusCodes.Status429TooManyRequests;
            response.Headers.RetryAfter = "1";
            await response.WriteAsJsonAsync(new
            {
                type = "https://httpstatuses.io/429",
                title = "Too many requests",
                status = 429,
                detail = $"This key may make {perSecond} requests a second ({burst} at once); try again shortly.",
            }, options: null, contentType: "application/problem+json", cancellationToken);
        };
    }
}
