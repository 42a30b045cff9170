using System.Net;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Jobs.Reporting.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_key_past_its_burst_gets_429_problem_details_while_another_key_is_served()
    {
        var vhost = await Infrastructure.CreateVirtualHostAsync("reporting-rate");
        var admin = Guid.NewGuid().ToString("N");
        try
        {
            await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            {
                builder.UseSetting(Connections.RabbitMqKey, vhost.ToString());
                builder.UseSetting(Connections.RedisKey, Infrastructure.RedisAsync().GetAwaiter().GetResult());
                builder.UseSetting(Connections.PostgresKey, Infrastructure.PostgresAsync().GetAwaiter().GetResult());
                builder.UseSetting("Security:AdminKey", admin);
                builder.UseSetting("Security:RateLimit:PermitsPerSecond", "1");
                builder.UseSetting("Security:RateLimit:Burst", "5");
            });
            using var client = factory.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", admin);

            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 8; i++) statuses.Add((await client.GetAsync("/system/alive")).StatusCode);
            var limited = await client.GetAsync("/system/alive");

            Assert.Contains(HttpStatusCode.OK, statuses);
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            Assert.True(limited.Headers.Contains("Retry-After"));

            // Another caller has a bucket of its own.
            using var anonymous = factory.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/system/alive")).StatusCode);
        }
        finally
        {
            await Infrastructure.DeleteVirtualHostAsync(vhost);
        }
    }
}
