namespace Jobs.TestSupport;

/// <summary>Poll-until-true probes for eventually consistent results.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {timeout.TotalSeconds:F0} s for {what}; last value: {Describe(last)}");
            await Task.Delay(100);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Text.Json.JsonElement e => e.GetRawText(),
        _ => value.ToString() ?? "",
    };
}
