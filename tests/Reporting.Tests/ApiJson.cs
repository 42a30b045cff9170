using System.Net;
using System.Text.Json;

namespace Jobs.Reporting.Tests;

public static class ApiJson
{
    /// <summary>The JSON body of a 200 answer; any other status fails the test with the body.</summary>
    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
