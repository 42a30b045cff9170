namespace Jobs.Bench;

/// <summary>Reads <c>--name value</c> pairs from the benchmark's arguments.</summary>
internal static class BenchArgs
{
    public static string Value(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
