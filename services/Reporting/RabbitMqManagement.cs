using System.Net.Http.Headers;
using System.Text;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting;

/// <summary>
/// The RabbitMQ management API of the broker the bus uses (<see cref="ConnectionOptions.RabbitMqManagementUri"/>), with the broker's
/// credentials: the diagnostics and the overview read queues through it.
/// </summary>
public sealed class RabbitMqManagement(IHttpClientFactory http, IOptions<ConnectionOptions> connections)
{
    /// <summary>A client of the management API (the <c>diagnostics</c> client: 5 s timeout); dispose it after use.</summary>
    public HttpClient Client()
    {
        var broker = connections.Value.RabbitMqUri;
        var client = http.CreateClient("diagnostics");
        client.BaseAddress = connections.Value.RabbitMqManagementUri;
        var credentials = Uri.UnescapeDataString(broker.UserInfo is { Length: > 0 } u ? u : "guest:guest");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }

    /// <summary>The broker's virtual host, escaped for a management API path (<c>%2F</c> for the default one).</summary>
    public string VirtualHost
    {
        get
        {
            var path = Uri.UnescapeDataString(connections.Value.RabbitMqUri.AbsolutePath.TrimStart('/'));
            return Uri.EscapeDataString(path.Length > 0 ? path : "/");
        }
    }
}
