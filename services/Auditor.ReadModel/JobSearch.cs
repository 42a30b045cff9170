namespace Jobs.Auditor.ReadModel;

/// <summary>
/// The patterns a job search text becomes: <see cref="TextPattern"/> (ILIKE, the text anywhere, its wildcards escaped) and, when the
/// text can be (the start of) a job id, <see cref="IdPattern"/> (LIKE over the id's 32 hex digits without dashes).
/// </summary>
public sealed record JobSearch(string TextPattern, string? IdPattern)
{
    /// <summary>The fewest hex digits a prefix of a job id must have to be searched as one.</summary>
    public const int MinIdPrefix = 4;

    /// <summary>The patterns of <paramref name="text"/>; null for no (or a blank) text.</summary>
    public static JobSearch? Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.Trim();
        return new JobSearch("%" + EscapeLike(trimmed) + "%", IdPrefix(trimmed) is { } prefix ? prefix + "%" : null);
    }

    /// <summary>
    /// The id's hex digits (lower case, no dashes) <paramref name="text"/> starts an id with: a whole id in any form Guid parses, or at least
    /// <see cref="MinIdPrefix"/> hex digits in the N form (<c>3f2a9c</c>) or the D form (<c>3f2a9c01-77</c>, dashes where a job id has them).
    /// </summary>
    public static string? IdPrefix(string text)
    {
        if (Guid.TryParse(text, out var id)) return id.ToString("N");
        var lower = text.ToLowerInvariant();
        var dForm = lower.Contains('-', StringComparison.Ordinal);
        if (lower.Length > (dForm ? 36 : 32)) return null;
        for (var i = 0; i < lower.Length; i++)
        {
            var wanted = dForm && i is 8 or 13 or 18 or 23 ? lower[i] == '-' : char.IsAsciiHexDigit(lower[i]);
            if (!wanted) return null;
        }

        var digits = lower.Replace("-", "", StringComparison.Ordinal);
        return digits.Length >= MinIdPrefix ? digits : null;
    }

    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
