namespace Jobs.ServiceDefaults;

/// <summary>Section <c>Seq</c>: where the logs go besides the console (unset <see cref="ServerUrl"/>: nowhere else).</summary>
public sealed class SeqOptions
{
    public const string Section = "Seq";

    public string? ServerUrl { get; set; }

    public string? ApiKey { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(ServerUrl);

    public IEnumerable<string> Problems()
    {
        if (Enabled && !Uri.TryCreate(ServerUrl, UriKind.Absolute, out _))
            yield return $"{Section}:{nameof(ServerUrl)}: '{ServerUrl}' is not an absolute URI";
    }
}
