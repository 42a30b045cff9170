using System.Text.RegularExpressions;

namespace Jobs.Platforms;

/// <summary>
/// Regular expressions that come from job settings or remote files: compiled with <see cref="RegexOptions.NonBacktracking"/>
/// (matching in time linear in the input, whatever the pattern) and a match timeout on top. A pattern the linear engine cannot
/// run (backreferences, lookarounds, atomic groups, conditionals) is refused, at submit by <see cref="SettingsValidator"/>.
/// </summary>
public static class SafeRegex
{
    /// <summary>Longest pattern accepted: the linear engine's automaton grows with the pattern.</summary>
    public const int MaxPatternLength = 1000;

    /// <summary>A match taking longer than this throws <see cref="RegexMatchTimeoutException"/> (a bound that linear matching of a page stays far below).</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public static Regex Create(string pattern, RegexOptions options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)
    {
        if (pattern.Length > MaxPatternLength)
            throw new ArgumentException($"the pattern is {pattern.Length} characters long; at most {MaxPatternLength} are accepted", nameof(pattern));
        return new Regex(pattern, options | RegexOptions.NonBacktracking, MatchTimeout);
    }

    /// <summary>Why <paramref name="pattern"/> cannot be used, or null when it can.</summary>
    public static string? Problem(string pattern)
    {
        try
        {
            _ = Create(pattern);
            return null;
        }
        catch (NotSupportedException e)
        {
            return $"'{pattern}' cannot run in linear time (backreferences, lookarounds, atomic groups and conditionals are not accepted): {e.Message}";
        }
        catch (ArgumentException e)
        {
            return $"'{pattern}' is not a valid regular expression: {e.Message}";
        }
    }
}
