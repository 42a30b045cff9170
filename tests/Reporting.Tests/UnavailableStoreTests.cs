using System.Net;
using System.Text.Json;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Jobs.Reporting.Tests;

/// <summary>
/// Reporting whose PostgreSQL or Redis does not answer (nothing listens where they are configured): the requests that need
/// them answer 503 problem details with Retry-After and the store's name, not 500. (The fault suite shows the same while
/// the real servers are down.)
/// </summary>
public sealed class UnavailableStoreTests : IAsyncLifetime
{
    private const string Closed = "127.0.0.1";
    private Uri _vhost = null!;
    private string _redis = null!;
    private readonly string _adminKey = Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        _vhost = await Infrastructure.CreateVirtualHostAsync("reporting-unavailable");
        _redis = await Infrastructure.RedisAsync();
    }

    public Task DisposeAsync() => Infrastructure.DeleteVirtualHostAsync(_vhost);

    private WebApplicationFactory<Program> Reporting(string redis, string postgres) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting(Connections.RabbitMqKey, _vhost.ToString());
            builder.UseSetting(Connections.RedisKey, redis);
            builder.UseSetting(Connections.PostgresKey, postgres);
            builder.UseSetting("Security:AdminKey", _adminKey);
        });

    [Fact]
    public async Task Listing_jobs_while_PostgreSQL_is_down_answers_503_problem_details_naming_it()
    {
        await using var factory = Reporting(_redis, $"Host={Closed};Port=1;Database=jobs;Username=jobs;Password=jobs;Timeout=2");
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", _adminKey);

        var response = await client.GetAsync("jobs?pageSize=1");

        await AssertUnavailableAsync(response, "PostgreSQL");
    }

    [Fact]
    public async Task A_job_status_while_Redis_is_down_answers_503_problem_details_naming_it()
    {
        await using var factory = Reporting($"{Closed}:1,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000", "Host=127.0.0.1;Port=5432");
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", _adminKey);

        var response = await client.GetAsync($"jobs/{Guid.NewGuid()}/status");

        await AssertUnavailableAsync(response, "Redis");
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string store)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(Unavailable.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal($"{store} is unavailable", problem.GetProperty("title").GetString());
    }
}
