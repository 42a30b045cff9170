using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

internal static class CatalogueBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Catalogue crawl benchmark: the five services as processes (Release), a shop shaped like hookedonhallmark.com
        // served by this process on loopback, no rate limit for it. One catalogue job through POST /jobs crawls it all:
        // year list -> year lists (paged) -> one child per product page -> products table. Prints products/s from
        // POST to Completed, a second crawl inside the sync interval (year links cached, every product skipped), and
        // the peak RSS of each service and of the shop.
        var count = int.Parse(BenchArgs.Value(args, "--products", "10000"), CultureInfo.InvariantCulture);
        var pageSize = int.Parse(BenchArgs.Value(args, "--page-size", "50"), CultureInfo.InvariantCulture);
        const int years = 20;

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");
        var products = ShopProduct.Catalogue(Enumerable.Range(1990, years), (count + years - 1) / years).Take(count).ToList();
        var warmUp = ShopProduct.Catalogue([1950, 1951], 250);
        await using var shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, products, pageSize);
        await using var warmShop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, warmUp, pageSize);
        var prefix = $"bench-{Guid.NewGuid():N}";
        Console.WriteLine($"shop: {products.Count:N0} products in {years} years, {pageSize} to a list page, at {shop.BaseAddress}");
        Console.WriteLine("starting the five services (Release) on a fresh virtual host ...");
        await using var system = await ServiceSystem.StartAsync("bench", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
            // The local shop is crawled as fast as the services go; robots.txt is still fetched and obeyed.
            ["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = "0",
            // The local shop listens on loopback, which the outbound policy refuses unless allowed.
            ["Integrations__Http__Integrations__catalogue__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__KeyPrefix"] = $"{prefix}-http:",
            ["Catalogue__RedisPrefix"] = $"{prefix}-catalogue:",
        }, "Release");
        using var api = system.ApiClient();

        var warm = await CrawlAsync(warmShop);
        Console.WriteLine($"warm-up: {warmUp.Count:N0} products in {warm.Seconds:F2} s ({warm.Status})");

        var cpuBefore = system.CpuSeconds(self: "bench + shop");
        var first = await CrawlAsync(shop);
        var cpuDuring = system.CpuSeconds(self: "bench + shop").Since(cpuBefore);
        var stored = await StoredAsync();
        var productRequests = shop.CountOf(p => p.StartsWith("/product/", StringComparison.Ordinal));
        shop.ClearRequests();
        var second = await CrawlAsync(shop);

        Console.WriteLine();
        Console.WriteLine("| crawl | products stored | wall s | products/s | product pages fetched | list pages fetched | status |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        stored -= warmUp.Count;
        Console.WriteLine($"| first (empty table) | {stored:N0} | {first.Seconds:F2} | {stored / first.Seconds:N0} | {productRequests:N0} | {years * Math.Ceiling(count / (double)years / pageSize):N0} | {first.Status}, {first.Failed} failed |");
        Console.WriteLine($"| second (within sync interval) | - | {second.Seconds:F2} | - | {shop.CountOf(p => p.StartsWith("/product/", StringComparison.Ordinal)):N0} | {shop.CountOf(p => p.StartsWith("/product-category/", StringComparison.Ordinal)):N0} | {second.Status}, {second.Failed} failed |");
        Console.WriteLine();
        Console.WriteLine("CPU seconds during the first crawl: " + string.Join(", ",
            cpuDuring.Select(c => $"{c.Key} {c.Value:F1}")));
        Console.WriteLine();
        Console.WriteLine("peak RSS (VmHWM) over the whole run:");
        foreach (var service in system.Services)
            Console.WriteLine($"  {service.Name,-13} {service.PeakRssBytes() / (1024.0 * 1024.0):F0} MB");
        Console.WriteLine($"  {"bench + shop",-13} {PeakRss() / (1024.0 * 1024.0):F0} MB");
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
                         Jobs.ServiceDefaults.Connections.RedisOptions(await Infrastructure.RedisAsync())))
            await RedisKeys.DeleteByPrefixAsync(redis, prefix);
        return stored == products.Count && first.Status == "Completed" ? 0 : 1;

        async Task<(double Seconds, string Status, long Failed)> CrawlAsync(TestShop target)
        {
            var watch = Stopwatch.StartNew();
            var response = await api.PostAsJsonAsync("jobs", new
            {
                platform = "catalogue",
                settings = new { vendors = new[] { "hookedonhallmark_com" }, base_url = target.BaseAddress.ToString(), sync_interval_hours = 24 },
            });
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            while (true)
            {
                var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{id}/status");
                var status = job.GetProperty("status").GetString()!;
                if (status is "Completed" or "CompletedWithFailures" or "Failed" or "Cancelled")
                    return (watch.Elapsed.TotalSeconds, status, job.GetProperty("children").GetProperty("failed").GetInt64());
                if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"the crawl did not finish:\n{system.Diagnostics()}");
                await Task.Delay(50);
            }
        }

        // Through the catalogue plugin's own query, the distinct SKUs per vendor: (vendor, sku) is unique, so their sum is the rows.
        async Task<long> StoredAsync() =>
            (await api.GetFromJsonAsync<JsonElement>("data/catalogue/vendors")).EnumerateArray().Sum(v => v.GetProperty("skus").GetInt64());

        static long PeakRss()
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }
}
