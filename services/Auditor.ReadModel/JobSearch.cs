namespace Jobs.Auditor.ReadModel;

/// <summary>
/// The patterns a job search text becomes: <see cref="TextPattern"/> (ILIKE, the text anywhere, its wildcards escaped) and, when the
/// text can be (part of) a job id, <see cref="IdPattern"/> (LIKE over the id's 32 hex digits without dashes).
/// </summary>
public sealed record JobSearch(string TextPattern, string? IdPattern)
{
    /// <summary>The fewest hex digits a part of a job id must have to be searched as one.</summary>
    public const int MinIdDigits = 4;

    /// <summary>The patterns of <paramref name="text"/>; null for no (or a blank) text.</summary>
    public static JobSearch? Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.Trim();
        return new JobSearch("%" + EscapeLike(trimmed) + "%", IdPatternOf(trimmed));
    }

    /// <summary>
    /// A whole id (any form Guid parses) is matched exactly. Otherwise at least <see cref="MinIdDigits"/> hex digits (dashes allowed,
    /// a leading ellipsis as the console shows short ids ignored) are matched anywhere in the id: ids made by one process share their
    /// first digits (NewId keeps its clock and sequence at the end), so the distinctive part is often the last one.
    /// </summary>
    public static string? IdPatternOf(string text)
    {
        if (Guid.TryParse(text, out var id)) return id.ToString("N");
        var digits = text.TrimStart('…', '.').Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (digits.Length is < MinIdDigits or > 32 || !digits.All(char.IsAsciiHexDigit)) return null;
        return "%" + digits + "%";
    }

    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
