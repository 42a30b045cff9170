using System.Text;
using System.Text.Json;

namespace Jobs.TestSupport;

/// <summary>One server-sent event: its type and its data (JSON).</summary>
public sealed record ServerSentEvent(string Type, JsonElement Data);

/// <summary>Reads the events of an open <c>text/event-stream</c> response, one at a time, as a browser's EventSource would.</summary>
public sealed class ServerSentEventReader(HttpResponseMessage response) : IAsyncDisposable
{
    private StreamReader? _reader;

    /// <summary>Opens <paramref name="path"/> as a stream (headers read, body not), failing with the body when it is not an event stream.</summary>
    public static async Task<ServerSentEventReader> OpenAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode} {response.Content.Headers.ContentType}: {body}");
        }

        return new ServerSentEventReader(response);
    }

    /// <summary>The next event, or null once the server has closed the stream; throws when none comes within <paramref name="timeout"/>.</summary>
    public async Task<ServerSentEvent?> NextAsync(TimeSpan timeout)
    {
        _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        using var deadline = new CancellationTokenSource(timeout);
        string? type = null;
        var data = new StringBuilder();
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no server-sent event within {timeout.TotalSeconds:0.#} s");
            }

            if (line is null) return null;
            if (line.Length == 0)
            {
                if (data.Length == 0) continue;
                return new ServerSentEvent(type ?? "message", JsonDocument.Parse(data.ToString()).RootElement.Clone());
            }

            if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line[5..].TrimStart());
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}
